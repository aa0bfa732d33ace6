import HeraldAPI

/// What a resource URL names, parsed the way the Kubernetes API server's RequestInfo does.
struct ResourcePath: Sendable {
    var definition: KindDefinition
    /// nil: all namespaces (or a cluster-scoped kind).
    var namespace: String?
    var name: String?
    var subresource: String?

    /// The action subresource (`render`) the path names, if any.
    var action: ActionSubresource? {
        guard let subresource, name != nil else { return nil }
        return definition.actions.first { $0.name == subresource }
    }

    /// Parses `/api/v1/...` and `/apis/{group}/{version}/...`; nil when the path is not a resource path.
    static func parse(_ segments: [Substring], registry: KindRegistry) throws(APIError) -> ResourcePath? {
        var rest: ArraySlice<Substring>
        let group: String
        let version: String
        if segments.first == "api", segments.count >= 3 {
            group = ""
            version = String(segments[1])
            rest = segments[2...]
        } else if segments.first == "apis", segments.count >= 4 {
            group = String(segments[1])
            version = String(segments[2])
            rest = segments[3...]
        } else {
            return nil
        }
        var namespace: String?
        if rest.first == "namespaces", rest.count >= 3 {
            namespace = String(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
        }
        guard let plural = rest.first else { return nil }
        guard let definition = registry.resource(group: group, plural: String(plural)), definition.version == version else {
            let gv = group.isEmpty ? version : "\(group)/\(version)"
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource: \(plural) in \(gv)")
        }
        rest = rest.dropFirst()
        if !definition.namespaced && namespace != nil {
            throw APIError.pathNotFound("\(definition.plural) is not namespaced")
        }
        let name = rest.first.map(String.init)
        let sub = rest.dropFirst().first.map(String.init)
        if rest.count > 2 { throw APIError.pathNotFound(segments.joined(separator: "/")) }
        let known = (sub == "status" && definition.hasStatus) || definition.actions.contains { $0.name == sub }
        if let sub, !known {
            throw APIError(
                code: 404, reason: "NotFound", message: "the server could not find the requested resource: \(definition.plural)/\(sub)")
        }
        return ResourcePath(definition: definition, namespace: namespace, name: name, subresource: sub)
    }
}
