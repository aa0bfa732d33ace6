/// A message to publish. Always persistent (delivery mode 2): every Herald message must survive
/// a broker restart once its publish has been confirmed.
public struct OutgoingMessage: Sendable, Hashable {
    /// Highest priority accepted; higher values are clamped to it.
    public static let maxPriority: UInt8 = 9

    /// Exchange to publish to; `""` is the default exchange, which routes by queue name.
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    /// 0 (lowest) to ``maxPriority``; clamped when published.
    public var priority: UInt8
    public var headers: [String: String]
    public var messageID: String?
    public var correlationID: String?
    /// Extra routing keys carried in the `CC` header (RabbitMQ sender-selected distribution);
    /// set only by delayed publishing, which relies on them to find the way back.
    var ccRoutingKeys: [String] = []

    public init(
        exchange: String,
        routingKey: String,
        body: [UInt8],
        priority: UInt8 = 0,
        headers: [String: String] = [:],
        messageID: String? = nil,
        correlationID: String? = nil
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.priority = min(priority, Self.maxPriority)
        self.headers = headers
        self.messageID = messageID
        self.correlationID = correlationID
    }

    /// A job for the `herald.jobs.<type>` queue of `topology`.
    public static func job(
        _ type: JobType,
        body: [UInt8],
        topology: Topology = .standard,
        priority: UInt8 = 0,
        headers: [String: String] = [:],
        messageID: String? = nil,
        correlationID: String? = nil
    ) -> OutgoingMessage {
        OutgoingMessage(
            exchange: topology.jobsExchange, routingKey: type.rawValue, body: body, priority: priority,
            headers: headers, messageID: messageID, correlationID: correlationID)
    }

    /// A message for a named queue, through the default exchange (for example `herald.results`).
    public static func toQueue(
        _ queue: String,
        body: [UInt8],
        priority: UInt8 = 0,
        headers: [String: String] = [:],
        messageID: String? = nil,
        correlationID: String? = nil
    ) -> OutgoingMessage {
        OutgoingMessage(
            exchange: "", routingKey: queue, body: body, priority: priority, headers: headers,
            messageID: messageID, correlationID: correlationID)
    }

    /// The same content as a received message, to publish again (for example to dead-letter it).
    /// The routing is that of the delivery; change ``exchange`` and ``routingKey`` as needed.
    public init(republishing delivery: Delivery) {
        self.init(
            exchange: delivery.exchange, routingKey: delivery.routingKey, body: delivery.body,
            priority: delivery.priority, headers: delivery.headers, messageID: delivery.messageID,
            correlationID: delivery.correlationID)
    }

    /// The priority actually sent.
    var effectivePriority: UInt8 { min(priority, Self.maxPriority) }
}
