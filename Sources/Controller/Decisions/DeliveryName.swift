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
        let hash = hex10(pairHash(recipientID, channel))
        let suffix = "-\(hash)-\(round)" + (redrive > 0 ? "-r\(redrive)" : "")
        // The suffix joins the name's last dot-separated label, which DNS-1123 limits to 63 characters.
        var head = Substring("")
        var last = Substring(notification)
        // Searched as bytes: a search by Character was most of this function's cost.
        if let dot = notification.utf8.lastIndex(of: UInt8(ascii: ".")) {
            head = notification[...dot]
            last = notification[notification.index(after: dot)...]
        }
        last = trimmed(last.prefix(max(1, 63 - suffix.count)))
        if last.isEmpty { last = "d" }
        if head.utf8.count + last.utf8.count + suffix.utf8.count > maxLength { head = "" }
        return String(head) + last + suffix
    }

    /// A truncated label must still end in an alphanumeric character.
    static func trimmed(_ s: Substring) -> Substring {
        var out = s
        while let c = out.last, c == "-" || c == "." { out = out.dropLast() }
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
    static func hex10(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 10) { buffer in
            var v = value
            for i in 0..<10 {
                buffer[i] = HexDigits.lowercase(UInt8(truncatingIfNeeded: v))
                v >>= 4
            }
            return 10
        }
    }
}
