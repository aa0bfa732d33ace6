import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import Logging
import Store
import Synchronization

/// The verbs on one resource path: get, list, watch, create, update, patch, delete.
struct ResourceHandler: Sendable {
    let store: any Store
    let registry: KindRegistry
    /// Mustache syntax checks for Templates; nil leaves them to the controller's `Valid` condition.
    let templates: (any TemplateEngine)?
    /// Adds the controller's finalizer to Notifications created while it leads; nil never does.
    let presence: ControllerPresence?
    let logger: Logger

    struct Call {
        var path: ResourcePath
        var query: Query
        var headers: HTTPFields
        var body: [UInt8]
        var definition: KindDefinition { path.definition }
    }

    /// Admission for a kind, with the checks that need injected machinery. Status writes skip
    /// them: the spec is not theirs, and the controller must be able to report a Template
    /// stored before the check existed as invalid.
    func admission(_ definition: KindDefinition, statusWrite: Bool = false) -> Admission {
        if definition.kind == KindDefinition.template.kind, !statusWrite, let templates {
            return Admission(definition: definition, extraCheck: TemplateAdmission.check(templates))
        }
        return Admission(definition: definition)
    }

    func handle(method: HTTPRequest.Method, call: Call) async throws -> Response {
        switch (method, call.path.name) {
        case (.get, nil):
            return call.query.bool("watch") ? try await watch(call) : try await list(call)
        case (.get, _?): return try await get(call)
        case (.post, nil): return try await create(call)
        case (.put, _?): return try await replace(call)
        case (.patch, _?): return try await patch(call)
        case (.delete, _?): return try await delete(call)
        case (.delete, nil): return try await deleteCollection(call)
        default:
            throw APIError.methodNotAllowed(method.rawValue, call.definition.plural)
        }
    }

    // MARK: reads

    func listOptions(_ q: Query) throws -> ListOptions {
        var options = ListOptions()
        if let l = q["labelSelector"], !l.isEmpty { options.labelSelector = try LabelSelector(parsing: l) }
        if let f = q["fieldSelector"], !f.isEmpty {
            options.fieldSelector = try FieldSelector(parsing: f)
        }
        if let limit = q["limit"], !limit.isEmpty {
            guard let n = Int(limit), n >= 0 else { throw APIError.badRequest("limit must be a non-negative integer, not \"\(limit)\"") }
            options.limit = n
        }
        if let c = q["continue"], !c.isEmpty { options.continueToken = c }
        return options
    }

    func checkFieldSelector(_ options: ListOptions, _ definition: KindDefinition) throws {
        let allowed = Set(definition.selectableFieldNames)
        for r in options.fieldSelector.requirements where !allowed.contains(r.field) {
            throw APIError.badRequest(
                "\"\(r.field)\" is not a known field selector for \(definition.plural): only \(allowed.sorted().map { "\"\($0)\"" }.joined(separator: ", "))"
            )
        }
    }

    func table(_ call: Call) -> TableBuilder? {
        guard TableBuilder.wantsTable(call.headers[.accept]) else { return nil }
        let include = TableBuilder.IncludeObject(rawValue: call.query["includeObject"] ?? "") ?? .metadata
        return TableBuilder(definition: call.definition, include: include)
    }

    func list(_ call: Call) async throws -> Response {
        let options = try listOptions(call.query)
        try checkFieldSelector(options, call.definition)
        let def = call.definition
        let list = try await store.list(kind: def.kind, namespace: call.path.namespace, options: options)
        let rv = String(list.resourceVersion)
        if let table = table(call) {
            return Responses.json(table.table(list.items, resourceVersion: rv, continueToken: list.continueToken))
        }
        var meta: JSONObject = ["resourceVersion": .string(rv)]
        if let token = list.continueToken { meta["continue"] = .string(token) }
        let body: JSON = [
            "apiVersion": .string(def.apiVersion), "kind": .string("\(def.kind)List"), "metadata": .object(meta),
            "items": .array(list.items.map(\.json)),
        ]
        return Responses.json(body)
    }

    func key(_ call: Call) -> ObjectKey {
        ObjectKey(kind: call.definition.kind, namespace: call.path.namespace ?? "", name: call.path.name ?? "")
    }

    func get(_ call: Call) async throws -> Response {
        let object = try await store.get(key(call))
        if let table = table(call) {
            return Responses.json(table.table([object], resourceVersion: object.resourceVersionString, continueToken: nil))
        }
        return Responses.json(object.json)
    }

    // MARK: writes

    func requireNamespace(_ call: Call) throws {
        if call.definition.namespaced && call.path.namespace == nil {
            throw APIError.badRequest("\(call.definition.plural) are namespaced: use /namespaces/{namespace}/\(call.definition.plural)")
        }
    }

    func fieldValidation(_ q: Query) throws -> FieldValidation {
        guard let v = q["fieldValidation"], !v.isEmpty else { return .strict }
        guard let fv = FieldValidation(rawValue: v) else {
            throw APIError.badRequest("fieldValidation must be one of Ignore, Warn, Strict, not \"\(v)\"")
        }
        return fv
    }

    func parseBody(_ call: Call) throws -> JSON {
        guard !call.body.isEmpty else { throw APIError.badRequest("the request body is empty") }
        let type = call.headers[.contentType] ?? Responses.jsonType
        do {
            if type.hasPrefix("application/json") || type.contains("merge-patch") || type.contains("json-patch") {
                do { return try JSON.parse(call.body) } catch {
                    throw APIError.badRequest("the body is not valid JSON: \(error.description)")
                }
            }
            return try JSON.parseJSONOrYAML(call.body)
        } catch let e as YAMLParseError {
            throw APIError.badRequest("the body is not valid YAML or JSON: \(e.reason)")
        }
    }

    func options(_ call: Call) -> WriteOptions { WriteOptions(dryRun: call.query.dryRun) }

    func manager(_ call: Call, default fallback: String) -> String {
        if let m = call.query["fieldManager"], !m.isEmpty { return m }
        let agent = call.headers[.userAgent] ?? fallback
        return String(agent.split(separator: "/").first ?? Substring(fallback))
    }

    func create(_ call: Call) async throws -> Response {
        try requireNamespace(call)
        let admitted = try admission(call.definition).admit(
            try parseBody(call), namespace: call.path.namespace, name: nil, fieldValidation: try fieldValidation(call.query))
        var resource = admitted.resource
        resource.json = ServerSideApply.recordUpdate(
            old: nil, new: resource.json, manager: manager(call, default: "unknown"), apiVersion: call.definition.apiVersion,
            time: Timestamp.format(Date()))
        // After field ownership is recorded: no applier owns the finalizer, so none removes it.
        resource.addFinalizers(await creationFinalizers(call.definition))
        let created = try await store.create(resource, options: options(call))
        return Responses.json(created.json, status: .created, warnings: admitted.warnings)
    }

    /// Admission plus field-ownership tracking for an ordinary write, run inside the store's
    /// transaction with the current object.
    func admitUpdate(_ desired: JSON, current: Resource, call: Call, fieldValidation: FieldValidation, warnings: Warnings)
        throws -> Resource
    {
        let admitted = try admission(call.definition, statusWrite: call.path.subresource == "status").admit(
            desired, namespace: call.path.namespace, name: call.path.name, fieldValidation: fieldValidation)
        warnings.set(admitted.warnings)
        var resource = admitted.resource
        if let rv = desired["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty,
            rv != current.resourceVersionString
        {
            throw StoreError.conflict(
                current.key, "the object has been modified; please apply your changes to the latest version and try again")
        }
        resource.resourceVersion = current.resourceVersion
        resource.json = ServerSideApply.recordUpdate(
            old: current.json, new: resource.json, manager: manager(call, default: "unknown"),
            apiVersion: call.definition.apiVersion, time: Timestamp.format(Date()))
        return resource
    }

    func creationFinalizers(_ definition: KindDefinition) async -> [String] {
        await presence?.creationFinalizers(definition) ?? []
    }

    var target: (Call) -> WriteRules.Target { { $0.path.subresource == "status" ? .status : .main } }

    func replace(_ call: Call) async throws -> Response {
        try requireNamespace(call)
        let desired = try parseBody(call)
        let validation = try fieldValidation(call.query)
        let warnings = Warnings()
        let result = try await store.guaranteedUpdate(key(call), target: target(call), options: options(call)) { current in
            try admitUpdate(desired, current: current, call: call, fieldValidation: validation, warnings: warnings)
        }
        return Responses.json(result.object.json, warnings: warnings.value)
    }

    func patch(_ call: Call) async throws -> Response {
        try requireNamespace(call)
        let contentType = (call.headers[.contentType] ?? "").split(separator: ";").first.map(String.init) ?? ""
        switch contentType {
        case "application/merge-patch+json", "application/json-patch+json":
            let patch = try parseBody(call)
            let isJSONPatch = contentType == "application/json-patch+json"
            if isJSONPatch, patch.arrayValue == nil { throw APIError.badRequest("a JSON patch must be an array of operations") }
            if !isJSONPatch, patch.objectValue == nil { throw APIError.badRequest("a merge patch must be a JSON object") }
            let validation = try fieldValidation(call.query)
            let warnings = Warnings()
            let result = try await store.guaranteedUpdate(key(call), target: target(call), options: options(call)) { current in
                let patched = isJSONPatch ? try current.json.applyingJSONPatch(patch) : current.json.applyingMergePatch(patch)
                return try admitUpdate(patched, current: current, call: call, fieldValidation: validation, warnings: warnings)
            }
            return Responses.json(result.object.json, warnings: warnings.value)
        case "application/apply-patch+yaml", "application/apply-patch+cbor":
            return try await apply(call)
        case "application/strategic-merge-patch+json":
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            )
        default:
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format (\(contentType)) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            )
        }
    }

    /// Server-side apply: creates when missing (201), merges with field ownership otherwise.
    func apply(_ call: Call) async throws -> Response {
        guard let manager = call.query["fieldManager"], !manager.isEmpty else {
            throw APIError.badRequest("PATCH requests with apply-patch+yaml content type require fieldManager")
        }
        let force = call.query["force"] == "true"
        let applied = try parseBody(call)
        guard case .object = applied else { throw APIError.badRequest("an applied configuration must be an object") }
        let validation = try fieldValidation(call.query)
        let definition = call.definition
        let warnings = Warnings()
        let key = key(call)
        let status = target(call)
        // Validate the applied configuration on its own first, so its errors name its own fields.
        _ = try admission(definition, statusWrite: status == .status).admit(
            applied, namespace: call.path.namespace, name: call.path.name, fieldValidation: validation)
        let now = Date()
        let finalizers = await creationFinalizers(definition)
        let result = try await store.mutate(key, dryRun: call.query.dryRun) { current in
            let merged = try ServerSideApply.apply(
                applied, to: current?.json, manager: manager, force: force, apiVersion: definition.apiVersion,
                time: Timestamp.format(now))
            let admitted = try admission(definition, statusWrite: status == .status).admit(
                merged, namespace: call.path.namespace, name: call.path.name, fieldValidation: validation)
            warnings.set(admitted.warnings)
            guard let current else {
                var created = admitted.resource
                created.addFinalizers(finalizers)
                return .put(WriteRules.prepareCreate(created, now: now, uid: ObjectUID.make(), keepStatus: false))
            }
            var desired = admitted.resource
            desired.resourceVersion = current.resourceVersion
            return WriteRules.update(current: current, desired: desired, target: status, hasStatus: definition.hasStatus)
        }
        return Responses.json(result.object.json, status: result.created ? .created : .ok, warnings: warnings.value)
    }

    func delete(_ call: Call) async throws -> Response {
        try requireNamespace(call)
        var preconditions = DeletePreconditions()
        if !call.body.isEmpty, let options = try? JSON.parse(call.body) {
            preconditions.uid = options["preconditions"]?["uid"]?.stringValue
            preconditions.resourceVersion = options["preconditions"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) }
            if options["dryRun"]?.arrayValue?.contains("All") == true {
                return try await deleteResponse(call, preconditions, dryRun: true)
            }
        }
        return try await deleteResponse(call, preconditions, dryRun: call.query.dryRun)
    }

    func deleteResponse(_ call: Call, _ preconditions: DeletePreconditions, dryRun: Bool) async throws -> Response {
        let result = try await store.delete(key(call), preconditions: preconditions, options: WriteOptions(dryRun: dryRun))
        return Responses.json(result.object.json)
    }

    func deleteCollection(_ call: Call) async throws -> Response {
        try requireNamespace(call)
        let options = try listOptions(call.query)
        try checkFieldSelector(options, call.definition)
        let list = try await store.list(kind: call.definition.kind, namespace: call.path.namespace, options: options)
        var deleted: [JSON] = []
        for item in list.items {
            do {
                let r = try await store.delete(item.key, options: self.options(call))
                deleted.append(r.object.json)
            } catch StoreError.notFound {
                continue
            }
        }
        return Responses.json([
            "apiVersion": .string(call.definition.apiVersion), "kind": .string("\(call.definition.kind)List"),
            "metadata": ["resourceVersion": .string(String(list.resourceVersion))], "items": .array(deleted),
        ])
    }
}

/// Carries admission warnings out of a store transaction closure.
final class Warnings: Sendable {
    private let storage = Mutex<[String]>([])
    func set(_ w: [String]) { storage.withLock { $0 = w } }
    var value: [String] { storage.withLock { $0 } }
}
