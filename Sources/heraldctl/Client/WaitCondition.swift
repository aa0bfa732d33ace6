import Foundation
import HeraldAPI

/// What `wait --for` waits for.
enum WaitCondition: Sendable {
    /// `condition=Type[=value]`: the condition has the value (case-insensitively, default
    /// True) and was computed for the current generation.
    case condition(type: String, value: String)
    case delete
    /// `jsonpath={.path}[=value]`: the path has the value, or exists when no value is given.
    case jsonpath(JSONPath, value: String?)

    static func parse(_ text: String) throws(CLIError) -> WaitCondition {
        let lower = text.lowercased()
        if lower == "delete" { return .delete }
        if lower.hasPrefix("condition=") {
            let rest = text.dropFirst("condition=".count)
            let parts = rest.split(separator: "=", maxSplits: 1).map(String.init)
            guard let type = parts.first, !type.isEmpty else {
                throw .message("--for=condition requires a condition name, e.g. --for=condition=Delivered")
            }
            return .condition(type: type, value: parts.count > 1 ? parts[1] : "True")
        }
        if lower.hasPrefix("jsonpath=") {
            let rest = String(text.dropFirst("jsonpath=".count))
            // The value follows the template's closing brace: {.status.phase}=Delivered.
            var template = rest
            var value: String?
            if let close = rest.lastIndex(of: "}") {
                template = String(rest[...close])
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix("=") { value = String(after.dropFirst()) }
            }
            if !template.hasPrefix("{") { template = "{\(template)}" }
            do throws(JSONPathError) {
                return .jsonpath(try JSONPath(template), value: value)
            } catch {
                throw .message(error.message)
            }
        }
        throw .message("unrecognized condition: \"\(text)\" (use delete, condition=NAME[=VALUE], or jsonpath={...}[=VALUE])")
    }

    /// Whether the object (nil: it no longer exists) satisfies the condition.
    func isMet(_ object: JSON?) -> Bool {
        switch self {
        case .delete:
            return object == nil
        case .condition(let type, let value):
            guard let object else { return false }
            return WaitCondition.conditionMet(object, type: type, value: value)
        case .jsonpath(let path, let value):
            guard let object else { return false }
            let found = path.values(object)
            guard let value else { return !found.isEmpty }
            return found.count == 1 && found.allSatisfy { JSONPath.format($0) == value }
        }
    }

    /// kubectl's check: a condition of that type with that status, whose observedGeneration (or,
    /// without one, status.observedGeneration) is not behind metadata.generation, so a status
    /// written for an older spec does not count (contract fact 16).
    static func conditionMet(_ object: JSON, type: String, value: String) -> Bool {
        let generation = object["metadata"]?["generation"]?.intValue
        let conditions = object["status"]?["conditions"]?.arrayValue ?? []
        for condition in conditions {
            guard let name = condition["type"]?.stringValue, name.lowercased() == type.lowercased() else { continue }
            guard let status = condition["status"]?.stringValue, status.lowercased() == value.lowercased() else {
                return false
            }
            let observed = condition["observedGeneration"]?.intValue ?? object["status"]?["observedGeneration"]?.intValue
            if let generation, let observed, observed < generation { return false }
            return true
        }
        return false
    }
}
