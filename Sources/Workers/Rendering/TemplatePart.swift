import HeraldAPI

/// The fields of each template part and how each is escaped.
enum TemplatePartLayout {
    static func fields(of part: String) -> [(name: String, kind: FieldKind)] {
        switch part {
        case "email": return [("subject", .text), ("text", .text), ("html", .html)]
        case "push": return [("title", .text), ("body", .text)]
        case "sms", "chat": return [("text", .text)]
        case "webhook": return [("body", .json)]
        default: return []
        }
    }

    /// Only push carries structured data.
    static func hasData(_ part: String) -> Bool { part == "push" }
}
