import HeraldAPI

/// What `-o` asks for.
enum OutputFormat: Sendable {
    case table
    case wide
    case yaml
    case json
    case name
    case jsonpath(JSONPath)

    static let allowed = "json, jsonpath, name, wide, yaml"

    static func parse(_ text: String?) throws(CLIError) -> OutputFormat {
        guard let text, !text.isEmpty else { return .table }
        switch text {
        case "wide": return .wide
        case "yaml": return .yaml
        case "json": return .json
        case "name": return .name
        default:
            for prefix in ["jsonpath=", "jsonpath-as-text="] where text.hasPrefix(prefix) {
                let template = String(text.dropFirst(prefix.count))
                do throws(JSONPathError) {
                    return .jsonpath(try JSONPath(template))
                } catch {
                    throw .message(error.message)
                }
            }
            if text == "jsonpath" { throw .message("template format specified but no template given") }
            throw .message(
                "unable to match a printer suitable for the output format \"\(text)\", allowed formats are: \(allowed)")
        }
    }

    /// Whether the server's Table is wanted (the human formats).
    var isTable: Bool {
        switch self {
        case .table, .wide: return true
        default: return false
        }
    }
}

/// Printing whole objects: YAML, JSON, names, JSONPath.
enum ObjectPrinter {
    /// kubectl hides `managedFields` in every printed object.
    static func cleaned(_ object: JSON) -> JSON {
        var copy = object
        if copy["metadata"]?["managedFields"] != nil { copy["metadata"]?["managedFields"] = nil }
        return copy
    }

    /// Several objects print as a `v1` `List`, as kubectl prints them.
    static func list(_ items: [JSON]) -> JSON {
        ["apiVersion": "v1", "kind": "List", "items": .array(items.map(cleaned)), "metadata": ["resourceVersion": ""]]
    }

    static func name(_ object: JSON, resource: APIResource) -> String {
        "\(resource.qualifiedKind)/\(object["metadata"]?["name"]?.stringValue ?? "")"
    }

    /// One document in the given format. Table formats never reach here.
    static func render(_ document: JSON, format: OutputFormat) -> String {
        switch format {
        case .yaml: return cleaned(document).yamlString()
        case .json: return cleaned(document).prettyString() + "\n"
        case .jsonpath(let path): return path.execute(cleaned(document))
        case .table, .wide, .name: return ""
        }
    }

    /// Items of a list answer, with `apiVersion` and `kind` filled in from the list (servers
    /// may omit them on items).
    static func items(of list: JSON) -> [JSON] {
        let apiVersion = list["apiVersion"]
        var kind = list["kind"]?.stringValue ?? ""
        if kind.hasSuffix("List") { kind.removeLast(4) }
        return (list["items"]?.arrayValue ?? []).map { item in
            var item = item
            if item["apiVersion"] == nil, let apiVersion { item["apiVersion"] = apiVersion }
            if item["kind"] == nil, !kind.isEmpty { item["kind"] = .string(kind) }
            return item
        }
    }
}
