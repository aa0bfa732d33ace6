import HeraldAPI

/// One resource type the server serves, as discovery describes it.
struct APIResource: Sendable, Hashable {
    var group: String
    var version: String
    var kind: String
    /// The plural resource name used in paths (`notifications`).
    var name: String
    var singularName: String
    var namespaced: Bool
    var shortNames: [String]
    var verbs: [String]
    var categories: [String]

    var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `notification.herald.dev`, the prefix of `-o name` and apply output.
    var qualifiedKind: String { group.isEmpty ? kind.lowercased() : "\(kind.lowercased()).\(group)" }

    /// `notifications.herald.dev`, as Status messages name the resource.
    var qualifiedResource: String { group.isEmpty ? name : "\(name).\(group)" }

    var apiPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The collection path; `namespace` nil means across all namespaces.
    func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace {
            return "\(apiPrefix)/namespaces/\(URLEncoding.encode(namespace))/\(name)"
        }
        return "\(apiPrefix)/\(name)"
    }

    func itemPath(namespace: String, name item: String) -> String {
        collectionPath(namespace: namespaced ? namespace : nil) + "/" + URLEncoding.encode(item)
    }

    func supports(_ verb: String) -> Bool { verbs.isEmpty || verbs.contains(verb) }
}

/// The server's resource types, read through discovery the way kubectl reads them: aggregated
/// discovery (`APIGroupDiscoveryList`) from `/api` and `/apis` when the server offers it, the
/// legacy per-group-version documents otherwise.
struct Discovery: Sendable {
    static let aggregatedAccept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    var resources: [APIResource]

    static func load(_ client: APIClient) async throws(CLIError) -> Discovery {
        // /api may legitimately be missing (a server without a core group): that only means no
        // core resources. /apis must answer, or nothing can be resolved.
        let core: [APIResource]
        do throws(CLIError) {
            core = try await loadRoot(client, path: "/api", legacyGroup: "")
        } catch let error where error.isNotFound {
            core = []
        }
        let groups = try await loadRoot(client, path: "/apis", legacyGroup: nil)
        return Discovery(resources: core + groups)
    }

    static func loadRoot(_ client: APIClient, path: String, legacyGroup: String?) async throws(CLIError) -> [APIResource] {
        let response = try await client.send(.GET, path, accept: aggregatedAccept)
        guard response.isSuccess else {
            throw .server(ServerStatus(httpStatus: response.status, body: response.body))
        }
        let json = try response.json()
        // The content type must repeat the aggregated media type (contract fact 2); otherwise
        // the body is a legacy document even if it looks otherwise.
        if response.contentType.contains("as=APIGroupDiscoveryList") {
            return parseAggregated(json)
        }
        var resources: [APIResource] = []
        if legacyGroup != nil {
            // Legacy /api: {"kind":"APIVersions","versions":["v1"]}
            for version in json["versions"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                let list = try await client.get("/api/\(version)")
                resources += parseResourceList(list, group: "", version: version)
            }
        } else {
            // Legacy /apis: an APIGroupList; kubectl reads each group's preferred version.
            for group in json["groups"]?.arrayValue ?? [] {
                guard let name = group["name"]?.stringValue else { continue }
                let version =
                    group["preferredVersion"]?["version"]?.stringValue
                    ?? group["versions"]?.arrayValue?.first?["version"]?.stringValue
                guard let version else { continue }
                let list = try await client.get("/apis/\(name)/\(version)")
                resources += parseResourceList(list, group: name, version: version)
            }
        }
        return resources
    }

    static func parseAggregated(_ json: JSON) -> [APIResource] {
        var out: [APIResource] = []
        for group in json["items"]?.arrayValue ?? [] {
            let groupName = group["metadata"]?["name"]?.stringValue ?? ""
            // The first version listed is the preferred one.
            guard let version = group["versions"]?.arrayValue?.first,
                let versionName = version["version"]?.stringValue
            else { continue }
            for r in version["resources"]?.arrayValue ?? [] {
                guard let name = r["resource"]?.stringValue else { continue }
                out.append(
                    APIResource(
                        group: groupName, version: versionName,
                        kind: r["responseKind"]?["kind"]?.stringValue ?? "", name: name,
                        singularName: r["singularResource"]?.stringValue ?? "",
                        namespaced: r["scope"]?.stringValue != "Cluster",
                        shortNames: r["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                        verbs: r["verbs"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                        categories: r["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            }
        }
        return out
    }

    static func parseResourceList(_ json: JSON, group: String, version: String) -> [APIResource] {
        (json["resources"]?.arrayValue ?? []).compactMap { r in
            // Subresources (`notifications/status`) are not types of their own.
            guard let name = r["name"]?.stringValue, !name.contains("/") else { return nil }
            return APIResource(
                group: group, version: version, kind: r["kind"]?.stringValue ?? "", name: name,
                singularName: r["singularName"]?.stringValue ?? "",
                namespaced: r["namespaced"]?.boolValue ?? true,
                shortNames: r["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                verbs: r["verbs"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                categories: r["categories"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    /// Resolves what a user typed (`notif`, `notifications`, `Notification`,
    /// `notifications.herald.dev`, `notification.v1alpha1.herald.dev`), preferring the
    /// Herald group over the core group when both have the name.
    func resolve(_ typed: String) throws(CLIError) -> APIResource {
        if let found = Discovery.match(typed, in: resources) { return found }
        throw .message("the server doesn't have a resource type \"\(typed)\"")
    }

    static func match(_ typed: String, in resources: [APIResource]) -> APIResource? {
        let lower = typed.lowercased()
        let parts = lower.split(separator: ".", maxSplits: 1).map(String.init)
        let base = parts.first ?? lower
        let qualifier = parts.count > 1 ? parts[1] : nil
        let candidates = resources.filter { r in
            guard r.name == base || r.singularName == base || r.kind.lowercased() == base || r.shortNames.contains(base)
            else { return false }
            guard let qualifier else { return true }
            return qualifier == r.group || qualifier == "\(r.version).\(r.group)"
                || (r.group.isEmpty && qualifier == r.version)
        }
        return candidates.first { !$0.group.isEmpty } ?? candidates.first
    }

    /// The resource for an object's `apiVersion` and `kind` (apply, diff, delete -f).
    func forObject(apiVersion: String, kind: String) -> APIResource? {
        resources.first { $0.groupVersion == apiVersion && $0.kind == kind }
    }

    /// Resources whose group is `group` (prune walks the Herald kinds).
    func resources(inGroup group: String) -> [APIResource] {
        resources.filter { $0.group == group }
    }
}
