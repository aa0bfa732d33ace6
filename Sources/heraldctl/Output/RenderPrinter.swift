import HeraldAPI

/// The readable form of a `TemplateRender` answer: one block per part, each field labelled,
/// multi-line text indented so where a field ends stays obvious.
enum RenderPrinter {
    static let fieldOrder = ["subject", "title", "text", "body", "html"]
    static let partOrder = ["email", "chat", "sms", "push", "webhook"]

    static func text(_ answer: JSON) -> String {
        let status = answer["status"] ?? .emptyObject
        let name = answer["metadata"]?["name"]?.stringValue ?? ""
        let namespace = answer["metadata"]?["namespace"]?.stringValue ?? ""
        var out = "Template:  \(namespace)/\(name)\n"
        if let requested = status["requestedLocale"]?.stringValue { out += "Locale:    \(requested)\n" }
        let parts = status["parts"]?.objectValue ?? [:]
        let names = partOrder.filter { parts[$0] != nil } + parts.keys.sorted().filter { !partOrder.contains($0) }
        if names.isEmpty { out += "\n(the template has no parts to render)\n" }
        for partName in names {
            guard let part = parts[partName] else { continue }
            let variant = part["locale"]?.stringValue ?? "default"
            out += "\n== \(partName) (locale: \(variant))\n"
            let fields = part.objectValue ?? [:]
            let known = fieldOrder.filter { fields[$0] != nil }
            for field in known {
                out += labelled(field, fields[field]?.stringValue ?? "")
            }
            if let data = fields["data"] {
                out += labelled("data", data.serializedString())
            }
            if let digest = fields["renderedDigest"]?.stringValue { out += "digest:    \(digest)\n" }
        }
        return out
    }

    /// `subject:   text` on one line; multi-line values below the label, indented.
    static func labelled(_ label: String, _ value: String) -> String {
        let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count <= 1 {
            let head = label + ":"
            return head + String(repeating: " ", count: max(1, 11 - head.count)) + value + "\n"
        }
        return label + ":\n" + lines.map { "  | " + $0 }.joined(separator: "\n") + "\n"
    }
}
