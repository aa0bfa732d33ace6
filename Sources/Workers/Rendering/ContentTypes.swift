import HeraldAPI
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
        JSON.escapeString(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
