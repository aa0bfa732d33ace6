/// A message as the embedded broker keeps it in a queue.
struct StoredMessage: Sendable {
    var exchange: String
    /// The routing key followed by the `CC` keys: the keys a dead-lettered copy is routed with.
    var routingKeys: [String]
    var body: [UInt8]
    var priority: UInt8
    var headers: [String: String]
    var messageID: String?
    var correlationID: String?
    var redelivered = false
    var enqueuedAt: ContinuousClock.Instant

    init(_ message: OutgoingMessage, at instant: ContinuousClock.Instant) {
        exchange = message.exchange
        routingKeys = [message.routingKey] + message.ccRoutingKeys
        body = message.body
        priority = message.effectivePriority
        headers = message.headers
        messageID = message.messageID
        correlationID = message.correlationID
        enqueuedAt = instant
    }

    var routingKey: String { routingKeys.first ?? "" }
}
