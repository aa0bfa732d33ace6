import HeraldAPI

/// Renders `explain` from OpenAPI v3 schemas in kubectl's plain-text layout.
struct ExplainPrinter: Sendable {
    /// `components.schemas` of the group-version document, to follow `$ref`s.
    let schemas: JSONObject

    /// Follows `$ref` and single-entry `allOf` wrappers (how ObjectMeta is usually referenced),
    /// keeping the outer description.
    func resolve(_ schema: JSON) -> JSON {
        var current = schema
        var description = schema["description"]
        for _ in 0..<16 {
            if let ref = current["$ref"]?.stringValue, let target = schemas[ExplainPrinter.refName(ref)] {
                current = target
            } else if let all = current["allOf"]?.arrayValue, all.count == 1, let only = all.first {
                current = only
            } else {
                break
            }
            if description == nil { description = current["description"] }
        }
        if let description, current["description"] != description {
            current["description"] = description
        }
        return current
    }

    static func refName(_ ref: String) -> String {
        ref.split(separator: "/").last.map(String.init) ?? ref
    }

    /// kubectl's type names: `<string>`, `<Object>`, `<[]Object>`, `<map[string]string>`, or the
    /// referenced schema's short name (`<ObjectMeta>`).
    func typeName(_ schema: JSON) -> String {
        if let ref = referenceName(schema) { return ref }
        let resolved = resolve(schema)
        switch resolved["type"]?.stringValue {
        case "array":
            return "[]" + typeName(resolved["items"] ?? .emptyObject)
        case "object":
            if let additional = resolved["additionalProperties"], additional.objectValue != nil,
                resolved["properties"] == nil
            {
                return "map[string]" + typeName(additional)
            }
            return "Object"
        case let type?:
            return type
        case nil:
            return "Object"
        }
    }

    func referenceName(_ schema: JSON) -> String? {
        let ref = schema["$ref"]?.stringValue ?? schema["allOf"]?.arrayValue?.first?["$ref"]?.stringValue
        guard let ref else { return nil }
        let name = ExplainPrinter.refName(ref)
        return name.split(separator: ".").last.map(String.init) ?? name
    }

    /// Walks a field path (`spec.to.recipientRef`), stepping into array items on the way.
    func field(_ root: JSON, path: [String]) throws(CLIError) -> (name: String, schema: JSON)? {
        var current = root
        var name: String?
        for segment in path {
            var resolved = resolve(current)
            while resolved["type"]?.stringValue == "array", let items = resolved["items"] {
                resolved = resolve(items)
            }
            guard let next = resolved["properties"]?[segment] else {
                throw .message("field \"\(segment)\" does not exist")
            }
            current = next
            name = segment
        }
        return name.map { ($0, current) }
    }

    func render(group: String, kind: String, version: String, root: JSON, path: [String], recursive: Bool) throws(CLIError)
        -> String
    {
        var out = ""
        if !group.isEmpty { out += "GROUP:      \(group)\n" }
        out += "KIND:       \(kind)\nVERSION:    \(version)\n\n"
        var schema = root
        if let (name, fieldSchema) = try field(root, path: path) {
            schema = fieldSchema
            out += "FIELD: \(name) <\(typeName(fieldSchema))>\n"
            let resolved = resolve(fieldSchema)
            if let values = resolved["enum"]?.arrayValue, !values.isEmpty {
                out += "ENUM:\n" + values.map { "    \(JSONPath.format($0))\n" }.joined()
            }
            out += "\n"
        }
        var resolved = resolve(schema)
        while resolved["type"]?.stringValue == "array", let items = resolved["items"] {
            resolved = resolve(items)
        }
        out += "DESCRIPTION:\n"
        let description = resolve(schema)["description"]?.stringValue ?? ""
        out += ExplainPrinter.wrap(description.isEmpty ? "<empty>" : description, indent: 4) + "\n"
        if let properties = resolved["properties"]?.objectValue, !properties.isEmpty {
            out += "FIELDS:\n"
            let required = Set(resolved["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            if recursive {
                out += recursiveFields(properties, required: required, indent: 2, depth: 0)
            } else {
                for key in properties.keys.sorted() {
                    guard let child = properties[key] else { continue }
                    out += "  \(key)\t<\(typeName(child))>\(required.contains(key) ? " -required-" : "")\n"
                    let childResolved = resolve(child)
                    if let values = childResolved["enum"]?.arrayValue, !values.isEmpty {
                        out += "  enum: " + values.map(JSONPath.format).joined(separator: ", ") + "\n"
                    }
                    let text = childResolved["description"]?.stringValue ?? ""
                    out += ExplainPrinter.wrap(text.isEmpty ? "<no description>" : text, indent: 4) + "\n"
                }
            }
        }
        return out
    }

    func recursiveFields(_ properties: JSONObject, required: Set<String>, indent: Int, depth: Int) -> String {
        var out = ""
        let pad = String(repeating: " ", count: indent)
        for key in properties.keys.sorted() {
            guard let child = properties[key] else { continue }
            out += "\(pad)\(key)\t<\(typeName(child))>\(required.contains(key) ? " -required-" : "")\n"
            var resolved = resolve(child)
            while resolved["type"]?.stringValue == "array", let items = resolved["items"] { resolved = resolve(items) }
            if depth < 15, let nested = resolved["properties"]?.objectValue, !nested.isEmpty {
                let nestedRequired = Set(resolved["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                out += recursiveFields(nested, required: nestedRequired, indent: indent + 2, depth: depth + 1)
            }
        }
        return out
    }

    /// Word-wraps to 80 columns with the given indent, as kubectl's explain does.
    static func wrap(_ text: String, indent: Int, width: Int = 80) -> String {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty, pad.count + line.count + 1 + word.count > width {
                    lines.append(pad + line)
                    line = ""
                }
                line += line.isEmpty ? String(word) : " " + word
            }
            lines.append(pad + line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
