import Foundation
import HeraldAPI

/// A status condition, Kubernetes style.
public struct Condition: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case `true` = "True"
        case `false` = "False"
        case unknown = "Unknown"
    }

    public var type: String
    public var status: Status
    /// CamelCase.
    public var reason: String
    public var message: String

    public init(type: String, status: Status, reason: String, message: String = "") {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }

    public static func isTrue(_ type: String, _ reason: String, _ message: String = "") -> Condition {
        Condition(type: type, status: .true, reason: reason, message: message)
    }

    public static func isFalse(_ type: String, _ reason: String, _ message: String = "") -> Condition {
        Condition(type: type, status: .false, reason: reason, message: message)
    }
}

enum Conditions {
    /// The conditions to write: `desired` stamped with `observedGeneration`, each keeping its
    /// previous `lastTransitionTime` when its status did not change (Kubernetes semantics: the
    /// time a condition last flipped, not the last time it was computed). Conditions of other
    /// types already present are kept, in their order.
    static func merge(existing: [JSON], desired: [Condition], generation: Int64, now: Date) -> [JSON] {
        var byType: JSONObject = [:]
        var order: [String] = []
        for c in existing {
            guard let type = c["type"]?.stringValue else { continue }
            if byType[type] == nil { order.append(type) }
            byType[type] = c
        }
        for d in desired where byType[d.type] == nil { order.append(d.type) }
        let stamp = Timestamp.format(now)
        for d in desired {
            let previous = byType[d.type]
            let keepTime = previous?["status"]?.stringValue == d.status.rawValue
            // One literal: members set afterwards each grew the array past the literal's size.
            let o: JSONObject = [
                "type": .string(d.type), "status": .string(d.status.rawValue), "reason": .string(d.reason),
                "observedGeneration": .int(generation), "message": .string(d.message),
                "lastTransitionTime": keepTime ? (previous?["lastTransitionTime"] ?? .string(stamp)) : .string(stamp),
            ]
            byType[d.type] = .object(o)
        }
        return order.compactMap { byType[$0] }
    }
}
