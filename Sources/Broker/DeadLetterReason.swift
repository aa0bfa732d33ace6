public import struct Foundation.Date

/// Why a message was moved to `herald.failed`. It travels as headers, so that an operator
/// looking at the queue sees the cause without the controller's logs.
public struct DeadLetterReason: Sendable, Hashable {
    /// CamelCase cause, like a condition reason: `AttemptsExhausted`, `PermanentFailure`,
    /// `Expired`, `Undecodable`.
    public var reason: String
    /// Human-readable detail (the last error). Must not contain secrets.
    public var message: String
    /// Attempts made, when known.
    public var attempts: Int?
    /// When it was dead-lettered; defaults to now.
    public var date: Date

    public init(reason: String, message: String, attempts: Int? = nil, date: Date = Date()) {
        self.reason = reason
        self.message = message
        self.attempts = attempts
        self.date = date
    }
}

/// Header names Herald sets on dead letters.
public enum DeadLetterHeader {
    public static let reason = "x-herald-reason"
    public static let message = "x-herald-message"
    public static let attempts = "x-herald-attempts"
    /// RFC 3339 UTC time of dead-lettering.
    public static let deadLetteredAt = "x-herald-dead-lettered-at"
    public static let originalExchange = "x-herald-original-exchange"
    public static let originalRoutingKey = "x-herald-original-routing-key"
    /// Set when dead-lettering a received ``Delivery``: the queue it was consumed from.
    public static let originalQueue = "x-herald-original-queue"
}
