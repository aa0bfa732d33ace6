import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// Seconds to wait from `now`, or nil when the header is absent or unreadable. Dates in
    /// the past give 0. All three HTTP-date forms are accepted (IMF-fixdate, RFC 850, asctime),
    /// as RFC 9110 asks recipients to.
    public static func seconds(_ header: String?, now: Date) -> Double? {
        guard let raw = header?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        if raw.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            return Double(raw).map { min($0, 86_400 * 365) }
        }
        guard let date = httpDate(raw) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and
    /// `Sun Nov  6 08:49:37 1994`.
    public static func httpDate(_ text: String) -> Date? {
        let parts = text.replacingOccurrences(of: ",", with: " ").split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, month: Int?, year: Int?, clock: String?
        if parts.count == 4, parts[3].uppercased() == "GMT", parts[1].contains("-") {
            // RFC 850: weekday, DD-Mon-YY HH:MM:SS GMT
            let dmy = parts[1].split(separator: "-").map(String.init)
            guard dmy.count == 3 else { return nil }
            day = Int(dmy[0])
            month = months.firstIndex(of: dmy[1].lowercased()).map { $0 + 1 }
            year = Int(dmy[2]).map { $0 < 100 ? ($0 < 70 ? 2000 + $0 : 1900 + $0) : $0 }
            clock = parts[2]
        } else if parts.count == 6, parts[5].uppercased() == "GMT" {
            // IMF-fixdate: weekday DD Mon YYYY HH:MM:SS GMT
            day = Int(parts[1])
            month = months.firstIndex(of: parts[2].lowercased()).map { $0 + 1 }
            year = Int(parts[3])
            clock = parts[4]
        } else if parts.count == 5 {
            // asctime: weekday Mon D HH:MM:SS YYYY
            month = months.firstIndex(of: parts[1].lowercased()).map { $0 + 1 }
            day = Int(parts[2])
            clock = parts[3]
            year = Int(parts[4])
        }
        guard let day, let month, let year, let clock, (1...31).contains(day) else { return nil }
        let hms = clock.split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, hms[0] < 24, hms[1] < 60, hms[2] < 61 else { return nil }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month - 1)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hms[0])
        tm.tm_min = Int32(hms[1])
        tm.tm_sec = Int32(hms[2])
        return Date(timeIntervalSince1970: Double(timegm(&tm)))
    }

    /// IMF-fixdate for `now`, as servers send it (used by tests and the SMTP Date header).
    public static func imfFixdate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let mons = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(mons[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
