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
        let hash = hex10(fnv1a64(recipientID + "\u{0}" + channel))
        let suffix = "-\(hash)-\(round)" + (redrive > 0 ? "-r\(redrive)" : "")
        // The suffix joins the name's last dot-separated label, which DNS-1123 limits to 63 characters.
        var head = Substring("")
        var last = Substring(notification)
        if let dot = notification.lastIndex(of: ".") {
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

    /// FNV-1a, 64 bit: stable across processes and versions (Swift's `Hasher` is seeded per process).
    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hex10(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef")
        var v = value
        var out: [Character] = []
        for _ in 0..<10 {
            out.append(digits[Int(v & 0xf)])
            v >>= 4
        }
        return String(out)
    }
}
