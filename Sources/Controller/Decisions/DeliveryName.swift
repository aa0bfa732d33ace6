import HeraldAPI

/// Deterministic Delivery names: `<notification>-<hash of recipient and channel>-<round>`, and
/// `…-<round>-r<n>` for the n-th redrive of the pair in that round; a valid DNS-1123 subdomain.
/// Determinism makes creation idempotent: a reconcile that runs again (a crash, a stale cache)
/// tries to create the same names and finds them.
public enum DeliveryName {
    static let maxLength = 253

    public static func make(notification: String, recipientID: String, channel: String, round: Int, redrive: Int = 0)
        -> String
    {
        // Written into one buffer: a plan names every pair, and joining strings cost an
        // allocation per piece.
        let hash = pairHash(recipientID, channel)
        let suffixCount = 12 + digits(round) + (redrive > 0 ? 2 + digits(redrive) : 0)
        // The suffix joins the name's last dot-separated label, which DNS-1123 limits to 63 characters.
        let bytes = notification.utf8
        var head = bytes[bytes.startIndex..<bytes.startIndex]
        var last = bytes[...]
        // Searched as bytes: a search by Character was most of this function's cost.
        if let dot = bytes.lastIndex(of: UInt8(ascii: ".")) {
            head = bytes[...dot]
            last = bytes[bytes.index(after: dot)...]
        }
        last = trimmed(last.prefix(max(1, 63 - suffixCount)))
        let lastIsEmpty = last.isEmpty
        let lastCount = lastIsEmpty ? 1 : last.count
        if head.count + lastCount + suffixCount > maxLength { head = bytes[bytes.startIndex..<bytes.startIndex] }
        return String(unsafeUninitializedCapacity: head.count + lastCount + suffixCount) { buffer in
            var i = 0
            func put(_ byte: UInt8) {
                buffer[i] = byte
                i += 1
            }
            func putDecimal(_ value: Int) {
                if value < 0 { put(UInt8(ascii: "-")) }
                var v = value.magnitude
                i += decimalDigits(v)
                var at = i
                repeat {
                    at -= 1
                    buffer[at] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                } while v > 0
            }
            for b in head { put(b) }
            if lastIsEmpty { put(UInt8(ascii: "d")) }
            for b in last { put(b) }
            put(UInt8(ascii: "-"))
            var v = hash
            for _ in 0..<10 {
                put(HexDigits.lowercase(UInt8(truncatingIfNeeded: v)))
                v >>= 4
            }
            put(UInt8(ascii: "-"))
            putDecimal(round)
            if redrive > 0 {
                put(UInt8(ascii: "-"))
                put(UInt8(ascii: "r"))
                putDecimal(redrive)
            }
            return i
        }
    }

    /// Characters of a round or redrive count written in decimal, its sign included.
    static func digits(_ value: Int) -> Int {
        (value < 0 ? 1 : 0) + decimalDigits(value.magnitude)
    }

    private static func decimalDigits(_ magnitude: UInt) -> Int {
        var count = 1
        var v = magnitude
        while v >= 10 {
            v /= 10
            count += 1
        }
        return count
    }

    /// A truncated label must still end in an alphanumeric character.
    static func trimmed(_ s: Substring.UTF8View) -> Substring.UTF8View {
        var out = s
        while let c = out.last, c == UInt8(ascii: "-") || c == UInt8(ascii: ".") { out = out.dropLast() }
        return out
    }

    /// FNV-1a (64 bit) of `recipientID`, a NUL and `channel`, without building the joined string
    /// (every plan names every pair). Stable across processes and versions, unlike Swift's
    /// `Hasher`, which is seeded per process.
    static func pairHash(_ recipientID: String, _ channel: String) -> UInt64 {
        let hash = fnv1a64(recipientID.utf8)
        return fnv1a64(channel.utf8, from: step(hash, 0))
    }

    private static func fnv1a64(_ bytes: String.UTF8View, from start: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = start
        for byte in bytes { hash = step(hash, byte) }
        return hash
    }

    private static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
}
