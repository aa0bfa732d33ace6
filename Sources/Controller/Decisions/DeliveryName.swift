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
        var suffix: [UInt8] = [UInt8(ascii: "-")]
        suffix.reserveCapacity(24)
        appendHex10(pairHash(recipientID, channel), to: &suffix)
        suffix.append(UInt8(ascii: "-"))
        appendDecimal(round, to: &suffix)
        if redrive > 0 {
            suffix.append(contentsOf: [UInt8(ascii: "-"), UInt8(ascii: "r")])
            appendDecimal(redrive, to: &suffix)
        }
        // The suffix joins the name's last dot-separated label, which DNS-1123 limits to 63 characters.
        let bytes = notification.utf8
        var head = bytes[bytes.startIndex..<bytes.startIndex]
        var last = bytes[...]
        // Searched as bytes: a search by Character was most of this function's cost.
        if let dot = bytes.lastIndex(of: UInt8(ascii: ".")) {
            head = bytes[...dot]
            last = bytes[bytes.index(after: dot)...]
        }
        last = trimmed(last.prefix(max(1, 63 - suffix.count)))
        let lastIsEmpty = last.isEmpty
        let lastCount = lastIsEmpty ? 1 : last.count
        if head.count + lastCount + suffix.count > maxLength { head = bytes[bytes.startIndex..<bytes.startIndex] }
        let total = head.count + lastCount + suffix.count
        return String(unsafeUninitializedCapacity: total) { buffer in
            var i = 0
            for b in head {
                buffer[i] = b
                i += 1
            }
            if lastIsEmpty {
                buffer[i] = UInt8(ascii: "d")
                i += 1
            }
            for b in last {
                buffer[i] = b
                i += 1
            }
            for b in suffix {
                buffer[i] = b
                i += 1
            }
            return i
        }
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

    /// The low ten hex digits, least significant first.
    static func appendHex10(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        for _ in 0..<10 {
            out.append(HexDigits.lowercase(UInt8(truncatingIfNeeded: v)))
            v >>= 4
        }
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var v = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        out[start...].reverse()
    }
}
