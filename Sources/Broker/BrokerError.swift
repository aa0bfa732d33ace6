/// What went wrong talking to the broker, and what to do about it (see ``description``).
public enum BrokerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broker URL could not be used. The URL in the payload has its password removed.
    case invalidURL(String, reason: String)
    /// A caller passed something the broker cannot do.
    case invalidArgument(String)
    /// The TCP connection or the AMQP handshake failed.
    case connectionFailed(endpoint: String, reason: String)
    /// The server refused the credentials or the vhost.
    case accessRefused(endpoint: String, reason: String)
    case queueNotFound(String)
    case exchangeNotFound(String)
    /// An exchange or queue exists with different settings than Herald declares.
    case topologyConflict(String)
    /// Some messages of a batch were not accepted; the others were.
    case publishFailed([PublishFailure])
    /// The server closed a channel for a reason not covered above.
    case channelClosed(code: UInt16, text: String)
    /// The server cancelled the consumer, for example because its queue was deleted.
    case consumerCancelled(queue: String)
    /// An ack or nack named a delivery tag this consumer does not hold (already acked, or from
    /// another consumer).
    case unknownDeliveryTag(UInt64)
    /// The broker has shut down or is shutting down.
    case shutdown

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "invalid broker URL '\(url)': \(reason). Use amqp://USER:PASS@HOST:PORT/VHOST (vhost '/' is %2F)."
        case .invalidArgument(let detail):
            "invalid argument: \(detail)"
        case .connectionFailed(let endpoint, let reason):
            "cannot connect to RabbitMQ at \(endpoint): \(reason). Check that the server is running and the "
                + "host and port are right; Herald keeps retrying with backoff."
        case .accessRefused(let endpoint, let reason):
            "RabbitMQ at \(endpoint) refused the login: \(reason). Check the user, password and vhost in the "
                + "broker URL, and that the user has permissions on the vhost."
        case .queueNotFound(let queue):
            "queue '\(queue)' does not exist. Call declareTopology() first, or check the queue name."
        case .exchangeNotFound(let exchange):
            "exchange '\(exchange)' does not exist. Call declareTopology() first, or check the exchange name."
        case .topologyConflict(let detail):
            "the broker already has an exchange or queue with other settings: \(detail). Delete it (it will be "
                + "re-declared) or make its arguments match Herald's topology."
        case .publishFailed(let failures):
            "\(failures.count) message(s) were not accepted by the broker: "
                + failures.prefix(5).map(\.description).joined(separator: "; ")
                + (failures.count > 5 ? "; ..." : "") + ". Fix the routing or retry them."
        case .channelClosed(let code, let text):
            "the broker closed the channel (\(code) \(text))."
        case .consumerCancelled(let queue):
            "the broker cancelled the consumer of '\(queue)' (was the queue deleted?). Declare the topology and consume again."
        case .unknownDeliveryTag(let tag):
            "delivery tag \(tag) is not pending on this consumer (acknowledged twice, or from another consumer)."
        case .shutdown:
            "the broker is shut down; no more messages can be published or consumed."
        }
    }
}
