import Foundation

/// How `Warning` response headers read (RFC 7234 `299 - "text"`).
enum WarningHeader {
    /// `299 - "unknown field \"spec.x\""` → `unknown field "spec.x"`.
    static func text(_ value: String) -> String {
        guard let quote = value.firstIndex(of: "\""), value.hasSuffix("\""), value.index(after: quote) < value.endIndex
        else { return value }
        let inner = value[value.index(after: quote)..<value.index(before: value.endIndex)]
        return inner.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
    }
}

enum URLEncoding {
    /// Percent-encodes everything but RFC 3986 unreserved characters, as Go's url.QueryEscape does
    /// for selectors (`metadata.name%3Dx`).
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
