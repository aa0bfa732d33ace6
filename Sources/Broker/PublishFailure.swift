/// One message of a batch that the broker did not take.
public struct PublishFailure: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// No queue is bound for the routing key (the broker returned the message).
        case unroutable(String)
        /// The broker negatively acknowledged it (it could not store it).
        case rejected
        case exchangeNotFound
        case channelClosed(code: UInt16, text: String)
    }

    /// Index of the message in the batch passed to `publish`.
    public var index: Int
    public var exchange: String
    public var routingKey: String
    public var reason: Reason

    public init(index: Int, exchange: String, routingKey: String, reason: Reason) {
        self.index = index
        self.exchange = exchange
        self.routingKey = routingKey
        self.reason = reason
    }

    public var description: String {
        let target = "message \(index) to exchange '\(exchange)' with routing key '\(routingKey)'"
        switch reason {
        case .unroutable(let text): return "\(target) is unroutable (\(text))"
        case .rejected: return "\(target) was rejected by the broker"
        case .exchangeNotFound: return "\(target): exchange does not exist"
        case .channelClosed(let code, let text): return "\(target): channel closed (\(code) \(text))"
        }
    }
}
