import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// RFC 3339 timestamps with second precision in UTC, as Kubernetes writes them.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        format(date, milliseconds: false)
    }

    /// `2026-11-21T10:00:00Z`, or `2026-11-21T10:00:00.250Z` with milliseconds, written digit by
    /// digit into one string: every condition, event and result carries timestamps, and
    /// interpolating each field made a string apiece.
    public static func format(_ date: Date, milliseconds: Bool) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        return format(wholeSeconds: whole, milliseconds: milliseconds ? min(999, Int(((seconds - whole) * 1000).rounded())) : nil)
    }

    /// The same, from whole seconds since 1970 and the milliseconds to write (0...999), for
    /// callers that round the fraction their own way.
    public static func format(wholeSeconds whole: Double, milliseconds millis: Int?) -> String {
        var t = time_t(whole)
        var tm = tm()
        gmtime_r(&t, &tm)
        let year = Int(tm.tm_year) + 1900
        // At least four digits of year, as RFC 3339 wants; a year past 9999 keeps all of its
        // digits, and one before year 0 its sign (written as it always was).
        return String(unsafeUninitializedCapacity: 48) { out in
            var i = 0
            func put(_ value: Int, digits: Int) {
                var divisor = 1
                var width = 1
                while width < digits || value / divisor >= 10 {
                    divisor *= 10
                    width += 1
                }
                while divisor > 0 {
                    out[i] = UInt8(ascii: "0") + UInt8(value / divisor % 10)
                    i += 1
                    divisor /= 10
                }
            }
            func put(_ byte: Unicode.Scalar) {
                out[i] = UInt8(ascii: byte)
                i += 1
            }
            if year < 0 {
                put("-")
                put(-year, digits: 1)
            } else {
                put(year, digits: 4)
            }
            put("-")
            put(Int(tm.tm_mon) + 1, digits: 2)
            put("-")
            put(Int(tm.tm_mday), digits: 2)
            put("T")
            put(Int(tm.tm_hour), digits: 2)
            put(":")
            put(Int(tm.tm_min), digits: 2)
            put(":")
            put(Int(tm.tm_sec), digits: 2)
            if let millis {
                put(".")
                put(millis, digits: 3)
            }
            put("Z")
            return i
        }
    }

    /// Accepts `2026-11-21T10:00:00Z`, fractional seconds and numeric offsets.
    public static func parse(_ text: String) -> Date? {
        // Read in place: copying the bytes out was an allocation per time in every result.
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    private static func parse(utf8 s: UnsafeBufferPointer<UInt8>) -> Date? {
        guard s.count >= 20 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= s.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = s[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = num(0, 4), s[4] == UInt8(ascii: "-"), let month = num(5, 2), s[7] == UInt8(ascii: "-"),
            let day = num(8, 2), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == 0x20,
            let hour = num(11, 2), s[13] == UInt8(ascii: ":"), let minute = num(14, 2), s[16] == UInt8(ascii: ":"),
            let second = num(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < s.count, s[i] >= 48, s[i] <= 57 {
                fraction += Double(s[i] - 48) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        guard i < s.count else { return nil }
        var offset = 0
        if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
            i += 1
        } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            let sign = s[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = num(i + 1, 2), i + 3 < s.count, s[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2)
            else { return nil }
            offset = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == s.count else { return nil }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month - 1)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hour)
        tm.tm_min = Int32(minute)
        tm.tm_sec = Int32(second)
        let epoch = timegm(&tm)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }

    /// kubectl's short age: `5s`, `3m`, `2h`, `4d`, `2y`.
    public static func age(since date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        return Duration.human(seconds: seconds)
    }
}

/// Go-style durations (`500ms`, `2s`, `10m`, `1h30m`) used in Channel and retry specs.
public enum Duration {
    public static func parse(_ text: String) -> Double? {
        // Over UTF-8 bytes: every job reads its Channel's timeout, and classifying Characters
        // (isNumber, isLetter) cost more than the rest of the parse.
        let bytes = text.utf8
        guard !bytes.isEmpty else { return nil }
        if text == "0" { return 0 }
        var total = 0.0
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let numberStart = i
            while i != bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) || bytes[i] == UInt8(ascii: ".") {
                bytes.formIndex(after: &i)
            }
            guard i != numberStart, let value = Double(Substring(bytes[numberStart..<i])) else { return nil }
            // A unit is ASCII letters, or "µ" (two bytes, both at least 0x80).
            let unitStart = i
            while i != bytes.endIndex, Self.isUnitByte(bytes[i]) { bytes.formIndex(after: &i) }
            let scale: Double
            switch Substring(bytes[unitStart..<i]) {
            case "ns": scale = 1e-9
            case "us", "\u{B5}s": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += value * scale
        }
        return total
    }

    private static func isUnitByte(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || b >= 0x80
    }

    public static func format(seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var s = Int(seconds.rounded())
        var out = ""
        if s >= 3600 { out += "\(s / 3600)h"; s %= 3600 }
        if s >= 60 { out += "\(s / 60)m"; s %= 60 }
        if s > 0 || out.isEmpty { out += "\(s)s" }
        return out
    }

    /// kubectl's `HumanDuration`, so ages read the same as in kubectl.
    public static func human(seconds: Int) -> String {
        let minutes = seconds / 60
        let hours = seconds / 3600
        switch seconds {
        case ..<120: return "\(seconds)s"
        case _ where minutes < 10:
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        case _ where minutes < 180: return "\(minutes)m"
        case _ where hours < 8:
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        case _ where hours < 48: return "\(hours)h"
        case _ where hours < 24 * 8:
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        case _ where hours < 24 * 365 * 2: return "\(hours / 24)d"
        case _ where hours < 24 * 365 * 8:
            let d = (hours / 24) % 365
            return d == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(d)d"
        default: return "\(hours / 24 / 365)y"
        }
    }
}
