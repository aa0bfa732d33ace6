/// A message received from a queue. It stays unacknowledged, and counts against the consumer's
/// prefetch, until it is acked or nacked through the ``BrokerConsumer`` that produced it.
public struct Delivery: Sendable, Hashable {
    public var body: [UInt8]
    /// Queue it was consumed from.
    public var queue: String
    public var exchange: String
    /// The routing key it was published with. A job that came back from a delay tier carries the
    /// tier here (see ``Topology``); use ``queue`` to know its type.
    public var routingKey: String
    /// Headers whose values are strings or numbers; structured headers (such as RabbitMQ's
    /// `x-death` table) are left out.
    public var headers: [String: String]
    public var priority: UInt8
    /// True when the broker delivered it before and it was not acknowledged; the work may have been done.
    public var redelivered: Bool
    /// Identifies the delivery on its consumer; valid only with that consumer.
    public var deliveryTag: UInt64
    public var messageID: String?
    public var correlationID: String?
    /// Which (re)subscription of the consumer produced it. After a reconnect, tags of the previous
    /// subscription mean nothing to the server, so acks for them are dropped (the server redelivers).
    var generation: UInt64

    init(
        body: [UInt8], queue: String, exchange: String, routingKey: String, headers: [String: String],
        priority: UInt8, redelivered: Bool, deliveryTag: UInt64, messageID: String?,
        correlationID: String?, generation: UInt64
    ) {
        self.body = body
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
        self.headers = headers
        self.priority = priority
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.messageID = messageID
        self.correlationID = correlationID
        self.generation = generation
    }
}
