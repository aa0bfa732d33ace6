/// Failures on a connection thread. The loop turns them into reconnects, channel recovery, or
/// ``BrokerError``s for callers; they never cross the thread boundary as they are.
enum AMQPFailure: Error, CustomStringConvertible {
    /// The connection is unusable (socket or protocol error, timeout, missed heartbeats): reconnect.
    case connectionLost(String)
    /// The server refused the login (credentials or vhost).
    case accessRefused(String)
    /// The server closed the connection (for example because the node is stopping): reconnect.
    case connectionClosed(code: UInt16, text: String)
    /// The server closed one channel; close-ok has been sent and the connection is still usable.
    case channelClosed(channel: UInt16, code: UInt16, text: String)

    var description: String {
        switch self {
        case .connectionLost(let reason): reason
        case .accessRefused(let reason): "access refused: \(reason)"
        case .connectionClosed(let code, let text): "server closed the connection: \(code) \(text)"
        case .channelClosed(let channel, let code, let text): "server closed channel \(channel): \(code) \(text)"
        }
    }
}
