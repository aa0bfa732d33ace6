import HeraldAPI

/// Discovery documents, legacy and aggregated, built once from the kind registry.
struct Discovery: Sendable {
    let registry: KindRegistry
    /// False when the server cannot serve action subresources (no template engine injected).
    var listsActions = true

    var groups: [String] {
        var seen: [String] = []
        for k in registry.kinds where !k.group.isEmpty && !seen.contains(k.group) { seen.append(k.group) }
        return seen
    }

    func versions(of group: String) -> [String] {
        var seen: [String] = []
        for k in registry.group(group) where !seen.contains(k.version) { seen.append(k.version) }
        return seen
    }

    func apiGroup(_ group: String) -> JSON {
        let versions = versions(of: group).map { v -> JSON in ["groupVersion": .string("\(group)/\(v)"), "version": .string(v)] }
        return ["name": .string(group), "versions": .array(versions), "preferredVersion": versions.first ?? .null]
    }

    var apiGroupList: JSON {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map(apiGroup))]
    }

    var apiVersions: JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]],
        ]
    }

    func resourceList(group: String, version: String) -> JSON? {
        let kinds = registry.kinds.filter { $0.group == group && $0.version == version }
        guard !kinds.isEmpty else { return nil }
        var resources: [JSON] = []
        for k in kinds {
            var r: JSONObject = [
                "name": .string(k.plural), "singularName": .string(k.singular), "namespaced": .bool(k.namespaced),
                "kind": .string(k.kind), "verbs": JSON(k.verbs),
            ]
            if !k.shortNames.isEmpty { r["shortNames"] = JSON(k.shortNames) }
            if !k.categories.isEmpty { r["categories"] = JSON(k.categories) }
            resources.append(.object(r))
            if k.hasStatus {
                resources.append([
                    "name": .string("\(k.plural)/status"), "singularName": "", "namespaced": .bool(k.namespaced),
                    "kind": .string(k.kind), "verbs": ["get", "patch", "update"],
                ])
            }
            for action in k.actions where listsActions {
                resources.append([
                    "name": .string("\(k.plural)/\(action.name)"), "singularName": "", "namespaced": .bool(k.namespaced),
                    "group": .string(k.group), "version": .string(k.version), "kind": .string(action.kind),
                    "verbs": ["create"],
                ])
            }
        }
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(resources)]
    }

    /// `apidiscovery.k8s.io` aggregated form of the core group (`/api`) or the named groups (`/apis`).
    func aggregated(core: Bool, version: String) -> JSON {
        let groupNames = core ? [""] : groups
        var items: [JSON] = []
        for group in groupNames {
            var versionDocs: [JSON] = []
            for v in versions(of: group) {
                var resources: [JSON] = []
                for k in registry.kinds where k.group == group && k.version == v {
                    let gvk: JSON = ["group": .string(k.group), "version": .string(k.version), "kind": .string(k.kind)]
                    var r: JSONObject = [
                        "resource": .string(k.plural), "responseKind": gvk,
                        "scope": k.namespaced ? "Namespaced" : "Cluster", "singularResource": .string(k.singular),
                        "verbs": JSON(k.verbs),
                    ]
                    if !k.shortNames.isEmpty { r["shortNames"] = JSON(k.shortNames) }
                    if !k.categories.isEmpty { r["categories"] = JSON(k.categories) }
                    var subresources: [JSON] = []
                    if k.hasStatus {
                        subresources.append(["subresource": "status", "responseKind": gvk, "verbs": ["get", "patch", "update"]])
                    }
                    for action in k.actions where listsActions {
                        let kind: JSON = ["group": .string(k.group), "version": .string(k.version), "kind": .string(action.kind)]
                        subresources.append(["subresource": .string(action.name), "responseKind": kind, "verbs": ["create"]])
                    }
                    if !subresources.isEmpty { r["subresources"] = .array(subresources) }
                    resources.append(.object(r))
                }
                versionDocs.append(["version": .string(v), "resources": .array(resources), "freshness": "Current"])
            }
            items.append(["metadata": ["name": .string(group)], "versions": .array(versionDocs)])
        }
        return [
            "kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"),
            "metadata": .object([:]), "items": .array(items),
        ]
    }
}
