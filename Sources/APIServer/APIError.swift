import HeraldAPI
import Store

/// An error answered as a Kubernetes `Status` body (`kind: Status`, `status: Failure`).
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSON?

    public init(code: Int, reason: String, message: String, details: JSON? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    public var status: JSON {
        var o: JSONObject = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { o["details"] = details }
        return .object(o)
    }

    static func details(_ definition: KindDefinition?, name: String?, causes: [JSON] = []) -> JSON {
        var o: JSONObject = [:]
        if let name, !name.isEmpty { o["name"] = .string(name) }
        if let definition {
            if !definition.group.isEmpty { o["group"] = .string(definition.group) }
            o["kind"] = .string(definition.plural)
        }
        if !causes.isEmpty { o["causes"] = .array(causes) }
        return .object(o)
    }

    static func qualified(_ definition: KindDefinition) -> String {
        definition.group.isEmpty ? definition.plural : "\(definition.plural).\(definition.group)"
    }

    public static func notFound(_ definition: KindDefinition, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(qualified(definition)) \"\(name)\" not found",
            details: details(definition, name: name))
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func pathNotFound(_ path: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(path))",
            details: .object(["causes": [["reason": "UnexpectedServerResponse", "message": "404 page not found"]]]))
    }

    public static func methodNotAllowed(_ method: String, _ what: String) -> APIError {
        APIError(
            code: 405, reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource (\(method) \(what))")
    }

    /// Maps every error the layers below can throw.
    static func from(_ error: any Error, definition: KindDefinition?, name: String?) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as StoreError:
            switch e {
            case .notFound(let key):
                if let definition { return .notFound(definition, key.name) }
                return APIError(code: 404, reason: "NotFound", message: e.description)
            case .alreadyExists(let key):
                let what = definition.map(qualified) ?? key.kind
                return APIError(
                    code: 409, reason: "AlreadyExists", message: "\(what) \"\(key.name)\" already exists",
                    details: details(definition, name: key.name))
            case .conflict(let key, let why):
                let what = definition.map(qualified) ?? key.kind
                return APIError(
                    code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(what) \"\(key.name)\": \(why)",
                    details: details(definition, name: key.name))
            case .expired(let requested, let oldest):
                return APIError(code: 410, reason: "Expired", message: "too old resource version: \(requested) (\(oldest))")
            case .invalidContinue(let why):
                return .badRequest(why)
            case .unavailable(let why):
                return APIError(code: 503, reason: "ServiceUnavailable", message: "the storage is unavailable; retry shortly: \(why)")
            }
        case let e as AdmissionError:
            switch e {
            case .badRequest(let message): return .badRequest(message)
            case .invalid(let v): return invalid(v, definition: definition)
            }
        case let e as ValidationError:
            return invalid(e, definition: definition)
        case let e as ApplyConflictError:
            let causes: [JSON] = e.conflicts.map {
                [
                    "reason": "FieldManagerConflict", "message": .string("conflict with \"\($0.manager)\" using \(e.apiVersion)"),
                    "field": .string($0.fieldPath),
                ]
            }
            let list = e.conflicts.map { "- \($0.manager) \($0.fieldPath)" }.joined(separator: "\n")
            let count = e.conflicts.count
            return APIError(
                code: 409, reason: "Conflict",
                message:
                    "Apply failed with \(count) conflict\(count == 1 ? "" : "s"): \(e.conflicts.map { "conflict with \"\($0.manager)\" using \(e.apiVersion): \($0.fieldPath)" }.joined(separator: "\n"))\n\(list)",
                details: details(definition, name: name, causes: causes))
        case let e as JSONPatchError:
            if e.isTestFailure {
                return APIError(code: 409, reason: "Conflict", message: e.message)
            }
            return APIError(code: 422, reason: "Invalid", message: "the JSON patch cannot be applied: \(e.message)")
        case let e as SelectorError:
            return .badRequest(e.message)
        default:
            return APIError(code: 500, reason: "InternalError", message: "an internal error occurred: \(error)")
        }
    }

    static func invalid(_ v: ValidationError, definition: KindDefinition?) -> APIError {
        let causes: [JSON] = v.errors.map {
            ["reason": .string($0.reason.rawValue), "message": .string($0.message), "field": .string($0.path)]
        }
        let kind = definition?.kind ?? v.kind
        let group = definition.map { $0.group.isEmpty ? "" : ".\($0.group)" } ?? ""
        let list = v.errors.map { "\($0.path): \($0.message)" }
        let message = "\(kind)\(group) \"\(v.name)\" is invalid: " + (list.count == 1 ? list[0] : "[\(list.joined(separator: ", "))]")
        var d = details(definition, name: v.name, causes: causes)
        d["kind"] = .string(kind)
        return APIError(code: 422, reason: "Invalid", message: message, details: d)
    }
}
