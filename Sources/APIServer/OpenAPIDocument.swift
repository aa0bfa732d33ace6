import HeraldAPI

/// OpenAPI v3 documents per group-version: kubectl reads the PATCH operation's `fieldValidation`
/// parameter to choose server-side validation, and `components.schemas` for `explain`.
struct OpenAPIDocuments: Sendable {
    let registry: KindRegistry
    let documents: JSONObject

    init(registry: KindRegistry) {
        self.registry = registry
        var docs: JSONObject = [:]
        var gvs: [String: [KindDefinition]] = [:]
        for k in registry.kinds { gvs[Self.path(k), default: []].append(k) }
        for (path, kinds) in gvs { docs[path] = Self.document(kinds) }
        documents = docs
    }

    static func path(_ k: KindDefinition) -> String {
        k.group.isEmpty ? "api/\(k.version)" : "apis/\(k.group)/\(k.version)"
    }

    static func schemaName(_ k: KindDefinition) -> String {
        let group = k.group.isEmpty ? "io.k8s.api.core" : k.group.split(separator: ".").reversed().joined(separator: ".")
        return "\(group).\(k.version).\(k.kind)"
    }

    var index: JSON {
        var paths: JSONObject = [:]
        for (path, doc) in documents {
            let hash = String(UInt64(bitPattern: Int64(doc.serialized().hashValue)), radix: 16)
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    static func document(_ kinds: [KindDefinition]) -> JSON {
        var schemas: JSONObject = [:]
        var paths: JSONObject = [:]
        for k in kinds {
            let gvk: JSON = ["group": .string(k.group), "version": .string(k.version), "kind": .string(k.kind)]
            var schema = k.schema.openAPI
            schema["x-kubernetes-group-version-kind"] = [gvk]
            let name = schemaName(k)
            schemas[name] = schema
            let ref: JSON = ["$ref": .string("#/components/schemas/\(name)")]
            let bodySchema: JSON = ["schema": ref]
            let query: [JSON] = [
                param("dryRun", "When present, no modifications are persisted. Valid value: All."),
                param("fieldManager", "Name of the actor making the change."),
                param("fieldValidation", "How to treat unknown fields: Ignore, Warn or Strict."),
            ]
            let response: JSON = ["200": ["description": "OK", "content": ["application/json": bodySchema]]]
            let prefix = k.group.isEmpty ? "/api/\(k.version)" : "/apis/\(k.group)/\(k.version)"
            let base = k.namespaced ? "\(prefix)/namespaces/{namespace}/\(k.plural)" : "\(prefix)/\(k.plural)"
            let opBase = (k.group.isEmpty ? "core" : k.group.split(separator: ".").map { $0.capitalized }.joined()) + k.version.capitalized
            let scope = k.namespaced ? "Namespaced" : ""
            func op(_ action: String, _ verb: String, body: JSON?, extra: [JSON] = []) -> JSON {
                var o: JSONObject = [
                    "operationId": .string("\(verb)\(opBase)\(scope)\(k.kind)"),
                    "parameters": .array(query + extra), "responses": response,
                    "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": .string(action),
                    "tags": [.string(k.group.isEmpty ? "core_\(k.version)" : "\(k.group)_\(k.version)")],
                ]
                if let body { o["requestBody"] = body }
                return .object(o)
            }
            // No strategic merge patch: kubectl then sends JSON merge patches for client-side apply.
            let patchBody: JSON = [
                "content": [
                    "application/json-patch+json": ["schema": ["type": "object"]],
                    "application/merge-patch+json": ["schema": ["type": "object"]],
                    "application/apply-patch+yaml": ["schema": ["type": "object"]],
                ]
            ]
            let jsonBody: JSON = ["content": ["application/json": bodySchema]]
            let force = param("force", "Force apply: take ownership of conflicting fields.", type: "boolean")
            paths["\(base)/{name}"] = [
                "get": op("get", "read", body: nil),
                "put": op("put", "replace", body: jsonBody),
                "patch": op("patch", "patch", body: patchBody, extra: [force]),
                "delete": op("delete", "delete", body: nil),
            ]
            paths[base] = ["get": op("list", "list", body: nil), "post": op("post", "create", body: jsonBody)]
            if k.hasStatus {
                paths["\(base)/{name}/status"] = [
                    "get": op("get", "read", body: nil), "put": op("put", "replace", body: jsonBody),
                    "patch": op("patch", "patch", body: patchBody, extra: [force]),
                ]
            }
        }
        let version = kinds.first?.version ?? ""
        return [
            "openapi": "3.0.0", "info": ["title": "Herald", "version": .string(version)],
            "paths": .object(paths), "components": ["schemas": .object(schemas)],
        ]
    }

    static func param(_ name: String, _ description: String, type: String = "string") -> JSON {
        [
            "name": .string(name), "in": "query", "description": .string(description), "schema": ["type": .string(type)],
            "uniqueItems": true,
        ]
    }
}
