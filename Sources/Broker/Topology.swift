/// The names of Herald's exchanges and queues (see docs/architecture.md, "RabbitMQ topology").
///
/// Everything derives from ``prefix`` (`herald` in production) so that tests, or two Herald
/// installations sharing one RabbitMQ vhost, can keep their queues apart.
///
/// | name | kind |
/// |---|---|
/// | `herald.jobs` | direct exchange, routing key = ``JobType`` |
/// | `herald.jobs.<type>` | durable priority queue (`x-max-priority`), bound with key = type |
/// | `herald.retry` | direct exchange, routing key = ``DelayTier`` |
/// | `herald.retry.<tier>` | durable queue, `x-message-ttl` = tier, dead-letters to `herald.jobs` |
/// | `herald.results` | durable queue |
/// | `herald.failed` | durable queue of dead letters |
///
/// How a delayed job finds its way back: a dead-lettered message is re-published with the
/// routing keys it was *originally published with*, and RabbitMQ counts the `CC` header
/// (sender-selected distribution) among those. A delayed job is therefore published to
/// `herald.retry` with routing key = tier (which routes it into `herald.retry.<tier>`) and
/// `CC: [<type>]` (which matches no binding on `herald.retry`). When its TTL expires it is
/// dead-lettered to `herald.jobs` with keys `[<tier>, <type>]`; only `<type>` is bound there, so it
/// lands in `herald.jobs.<type>` exactly once. This keeps one queue per tier, as designed, without
/// a fixed `x-dead-letter-routing-key` (which would send every job of a tier to the same type).
/// A job that returns this way is delivered with routing key = the tier; consumers know their
/// type from the queue they consume, not from the routing key.
///
/// Messages rejected without requeue from `herald.jobs.<type>` or `herald.results` (poison
/// messages) are dead-lettered into `herald.failed` instead of being dropped.
public struct Topology: Sendable, Hashable {
    /// First component of every name; `herald` in production.
    public var prefix: String
    /// `x-max-priority` of the job queues. Message priorities above it are treated as it.
    public var maxPriority: UInt8

    public init(prefix: String = "herald", maxPriority: UInt8 = 10) {
        self.prefix = prefix
        self.maxPriority = maxPriority
    }

    /// The production names (`herald.*`).
    public static let standard = Topology()

    public var jobsExchange: String { "\(prefix).jobs" }
    public func jobsQueue(for type: JobType) -> String { "\(prefix).jobs.\(type.rawValue)" }
    public var retryExchange: String { "\(prefix).retry" }
    public func retryQueue(for tier: DelayTier) -> String { "\(prefix).retry.\(tier.rawValue)" }
    public var resultsQueue: String { "\(prefix).results" }
    public var failedQueue: String { "\(prefix).failed" }
}
