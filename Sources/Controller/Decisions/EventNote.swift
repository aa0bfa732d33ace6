/// An Event to record about an object, as decided by a pure function (the recorder writes it).
public struct EventNote: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case normal = "Normal"
        case warning = "Warning"
    }

    public var type: Kind
    /// CamelCase, as `kubectl describe` shows it.
    public var reason: String
    public var message: String

    public init(type: Kind, reason: String, message: String) {
        self.type = type
        self.reason = reason
        self.message = message
    }

    public static func normal(_ reason: String, _ message: String) -> EventNote {
        EventNote(type: .normal, reason: reason, message: message)
    }

    public static func warning(_ reason: String, _ message: String) -> EventNote {
        EventNote(type: .warning, reason: reason, message: message)
    }
}
