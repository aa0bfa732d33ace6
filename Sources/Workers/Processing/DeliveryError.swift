import HeraldAPI

/// Why one send did not deliver, classified. Drivers throw it; the processor turns it into a
/// `DeliveryResult`. `message` says what went wrong and what to do, and never holds secrets.
public struct DeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var outcome: DeliveryOutcome
    public var code: String
    public var message: String
    public var retryAfter: Double?
    public var staleAddress: StaleAddress?
    /// What the failure says about the provider, for the circuit breaker.
    public var breakerSignal: BreakerSignal

    /// Only the provider's own health moves the breaker: a timeout or a 503 counts against it,
    /// a provider refusing one message (a 400, an unknown mailbox) shows it is up, and
    /// problems found before calling it (a missing Secret, no address) say nothing either way.
    public enum BreakerSignal: Sendable, Hashable {
        case providerFailed, providerAnswered, neutral
    }

    public init(
        outcome: DeliveryOutcome, code: String, message: String, retryAfter: Double? = nil,
        staleAddress: StaleAddress? = nil, breakerSignal: BreakerSignal
    ) {
        self.outcome = outcome
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.staleAddress = staleAddress
        self.breakerSignal = breakerSignal
    }

    /// Worth another attempt. `providerFailure: false` for problems on Herald's side (a
    /// Secret that cannot be read, a shutting-down worker), which leave the breaker alone.
    public static func transient(_ code: String, _ message: String, retryAfter: Double? = nil, providerFailure: Bool = true)
        -> DeliveryError
    {
        DeliveryError(
            outcome: .transient, code: code, message: message, retryAfter: retryAfter,
            breakerSignal: providerFailure ? .providerFailed : .neutral)
    }

    /// Will never work as it is. `providerAnswered: false` when the provider was not called.
    public static func permanent(_ code: String, _ message: String, stale: StaleAddress? = nil, providerAnswered: Bool = true)
        -> DeliveryError
    {
        DeliveryError(
            outcome: .permanent, code: code, message: message, staleAddress: stale,
            breakerSignal: providerAnswered ? .providerAnswered : .neutral)
    }

    /// A Channel or job setting is wrong or missing; permanent, because retrying the same job
    /// cannot help (the controller builds new jobs from the fixed Channel).
    public static func configuration(_ message: String) -> DeliveryError {
        .permanent("ChannelMisconfigured", message, providerAnswered: false)
    }

    public var description: String { "\(outcome.rawValue) \(code): \(message)" }
}
