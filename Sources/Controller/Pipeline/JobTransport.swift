import HeraldAPI

/// A job on its way to the dead-letter queue (`herald.failed`), with why.
public struct DeadLetter: Sendable, Hashable {
    public var job: DeliveryJob
    /// CamelCase: `PermanentFailure`, `AttemptsExhausted`.
    public var reason: String
    public var message: String
    public var attempts: Int

    public init(job: DeliveryJob, reason: String, message: String, attempts: Int) {
        self.job = job
        self.reason = reason
        self.message = message
        self.attempts = attempts
    }
}

/// Where the controller sends jobs: the broker, seen through the two operations it needs.
/// `herald` adapts the `Broker` module's `MessageBroker` (RabbitMQ or embedded) to it.
public protocol JobPublisher: Sendable {
    /// Publishes `jobs` and returns once the broker confirmed all of them. With `delaySeconds`
    /// (one of the broker's delay tiers) they reach their job queue after that delay.
    func publish(_ jobs: [DeliveryJob], delaySeconds: Double?) async throws

    /// Puts jobs on the dead-letter queue with headers saying why, confirmed.
    func deadLetter(_ letters: [DeadLetter]) async throws
}

/// One message from the results queue: one result or a pack of them (`ResultMessage`). It stays
/// unacknowledged until the subscription's `acknowledge` covers it.
public struct ReceivedResult: Sendable {
    public var body: [UInt8]
    /// The broker delivered it before (the controller may have applied it already).
    public var redelivered: Bool
    /// The transport's handle for acknowledging it.
    public var token: any Sendable

    public init(body: [UInt8], redelivered: Bool, token: any Sendable) {
        self.body = body
        self.redelivered = redelivered
        self.token = token
    }
}

/// A subscription to the results queue.
public protocol ResultSubscription: Sendable {
    /// The next message; nil when the subscription ended.
    func next() async throws -> ReceivedResult?
    /// Acknowledges `result` and every earlier message of this subscription (one ack per batch).
    func acknowledge(through result: ReceivedResult) async throws
    /// Rejects a message that cannot be read (it goes to the dead-letter queue).
    func reject(_ result: ReceivedResult) async throws
    func cancel() async
}

/// Where results come from.
public protocol ResultSource: Sendable {
    /// Starts consuming; at most `prefetch` messages are unacknowledged at a time.
    func subscribe(prefetch: Int) async throws -> any ResultSubscription
}
