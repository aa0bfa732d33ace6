internal import CRabbitMQ

/// What one connection is for (publishing or consuming). A role lives on its connection thread
/// and is only ever called from there, by ``ConnectionLoop``, so it needs no locking.
protocol ConnectionRole: AnyObject, SendableMetatype {
    associatedtype Command: Sendable

    /// Whether the loop should (re)connect now. A consumer connection without consumers need not.
    var wantsConnection: Bool { get }
    /// Nothing is in progress that shutdown should wait for.
    var isIdle: Bool { get }

    /// A new connection is logged in: open channels, declare, resume work.
    func connected(_ connection: AMQPConnection) throws(AMQPFailure)
    /// The connection is gone; whatever depended on it must be retried on the next one.
    func disconnected()
    /// `connection` is nil while disconnected: the role keeps the command for later or fails it.
    func handle(_ command: Command, connection: AMQPConnection?) throws(AMQPFailure)
    func handle(frame: amqp_frame_t, connection: AMQPConnection) throws(AMQPFailure)
    /// The server closed `channel` (close-ok already sent).
    func channelClosed(_ channel: UInt16, code: UInt16, text: String, connection: AMQPConnection) throws(AMQPFailure)
    /// Sends whatever can be sent now (called every turn of the loop while connected).
    func flush(_ connection: AMQPConnection) throws(AMQPFailure)
    /// The server refused the login. Retrying continues (credentials can be fixed on the server),
    /// but callers waiting for a first answer should get this error rather than wait.
    func loginRefused(_ error: BrokerError)
    /// The loop is exiting: fail everything still waiting, including commands never handled.
    func stop(unhandled: [Command])
}
