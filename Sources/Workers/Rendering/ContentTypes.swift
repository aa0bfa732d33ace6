import Mustache

/// How a field's variables are escaped. swift-mustache escapes for HTML unless a
/// `CONTENT_TYPE` pragma says otherwise, and only `email.html` is HTML.
enum FieldKind: Sendable, Hashable {
    /// Plain text: no escaping (subjects, SMS, push, chat).
    case text
    /// HTML: `<`, `>`, `&`, `"`, `'` escaped.
    case html
    /// Text inside JSON strings: quotes, backslashes and control characters escaped, so a
    /// webhook body stays valid JSON whatever the variables hold.
    case json

    /// Prepended on a line of its own: a standalone pragma line renders nothing.
    var pragma: String? {
        switch self {
        case .html: return nil
        case .text: return "{{%CONTENT_TYPE:TEXT}}\n"
        case .json: return "{{%CONTENT_TYPE:\(JSONStringContentType.name)}}\n"
        }
    }
}

struct JSONStringContentType: MustacheContentType {
    static let name = "HERALD_JSON"

    /// Registration is process-wide in swift-mustache; a static let runs it exactly once.
    static let registered: Void = {
        MustacheContentTypes.register(JSONStringContentType(), named: name)
    }()

    func escapeText(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
