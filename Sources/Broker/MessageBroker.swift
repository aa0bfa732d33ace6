/// What the controller and the workers need from a message broker: Herald's topology, confirmed
/// persistent publishing, delayed publishing through delay tiers, consuming with manual acks,
/// and dead-lettering. ``RabbitMQBroker`` and ``EmbeddedBroker`` implement it with the same
/// semantics, so code written against this protocol runs on either.
///
/// Errors thrown are ``BrokerError`` (and `CancellationError` when the calling task is cancelled).
public protocol MessageBroker: Sendable {
    /// The names this broker uses.
    var topology: Topology { get }

    /// Whether the broker can publish and deliver now, for readiness probes: false before it
    /// runs and while it reconnects to its server; an in-process broker is always connected.
    /// A snapshot that may change at once, not a promise that the next call succeeds.
    var isConnected: Bool { get }

    /// Declares the exchanges, queues and bindings of ``topology``. Idempotent; after a
    /// reconnect the broker declares them again by itself.
    func declareTopology() async throws

    /// Publishes `messages` in order and returns once the broker has taken responsibility for
    /// all of them (publisher confirms). Throws ``BrokerError/publishFailed(_:)`` listing the ones
    /// it refused; the others were accepted. If the task is cancelled, messages not yet sent are
    /// dropped and the ones already sent may or may not arrive.
    func publish(_ messages: [OutgoingMessage]) async throws

    /// Publishes jobs (messages to ``Topology/jobsExchange`` with a ``JobType`` routing key) so
    /// that they arrive in their job queue after `tier`.
    func publish(_ messages: [OutgoingMessage], delay tier: DelayTier) async throws

    /// Starts consuming `queue`. At most `prefetch` deliveries are unacknowledged at a time
    /// (0 = unlimited). Unacknowledged deliveries go back to the queue, flagged redelivered,
    /// when the consumer stops.
    func consume(queue: String, prefetch: UInt16) async throws -> BrokerConsumer

    /// Publishes `messages` to ``Topology/failedQueue`` with headers saying why (see
    /// ``DeadLetterHeader``), with confirms.
    func deadLetter(_ messages: [OutgoingMessage], reason: DeadLetterReason) async throws
}

extension MessageBroker {
    public func publish(_ message: OutgoingMessage) async throws {
        try await publish([message])
    }

    public func publish(_ message: OutgoingMessage, delay tier: DelayTier) async throws {
        try await publish([message], delay: tier)
    }

    public func deadLetter(_ message: OutgoingMessage, reason: DeadLetterReason) async throws {
        try await deadLetter([message], reason: reason)
    }

    /// Moves a received message to the failed queue: publishes it there (confirmed), then acks it.
    /// If the process dies in between, the message is redelivered and may be dead-lettered twice,
    /// never lost.
    public func deadLetter(_ delivery: Delivery, from consumer: BrokerConsumer, reason: DeadLetterReason) async throws {
        try await deadLetter(delivery, reason: reason)
        try await consumer.ack(delivery)
    }

    /// Publishes a copy of a received message to the failed queue (confirmed), naming the queue
    /// it came from; the caller acks it. With `body`, the copy carries that instead (one element
    /// of a packed message).
    public func deadLetter(_ delivery: Delivery, body: [UInt8]? = nil, reason: DeadLetterReason) async throws {
        var message = OutgoingMessage(republishing: delivery)
        if let body { message.body = body }
        message.headers[DeadLetterHeader.originalQueue] = delivery.queue
        try await deadLetter([message], reason: reason)
    }
}
