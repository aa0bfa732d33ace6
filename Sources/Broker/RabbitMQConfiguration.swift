/// Settings of a ``RabbitMQBroker``. The defaults suit production.
public struct RabbitMQConfiguration: Sendable {
    public var endpoint: AMQPEndpoint
    public var topology: Topology
    /// AMQP heartbeat interval; a connection that stays silent for two intervals is considered
    /// dead and is re-established. Zero disables heartbeats.
    public var heartbeat: Duration
    public var connectTimeout: Duration
    /// Longest wait for the server to answer a synchronous request (declare, consume, ...).
    public var requestTimeout: Duration
    /// Publishes sent but not yet confirmed, at most. Larger windows raise throughput until the
    /// server's fsync batching saturates; each unconfirmed message stays in memory.
    public var confirmWindow: Int
    public var reconnectBackoff: ReconnectBackoff
    /// On shutdown, how long to wait for outstanding publishes to be confirmed before failing them.
    public var shutdownTimeout: Duration
    /// Shown as `connection_name` in `rabbitmqctl list_connections` and the management UI,
    /// suffixed with the connection's role.
    public var connectionName: String

    public init(
        endpoint: AMQPEndpoint,
        topology: Topology = .standard,
        heartbeat: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        confirmWindow: Int = 1000,
        reconnectBackoff: ReconnectBackoff = ReconnectBackoff(),
        shutdownTimeout: Duration = .seconds(10),
        connectionName: String = "herald"
    ) {
        self.endpoint = endpoint
        self.topology = topology
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.confirmWindow = max(1, confirmWindow)
        self.reconnectBackoff = reconnectBackoff
        self.shutdownTimeout = shutdownTimeout
        self.connectionName = connectionName
    }

    /// Configuration for `amqp://USER:PASS@HOST:PORT/VHOST` with the other settings at their defaults.
    public init(url: String) throws(BrokerError) {
        self.init(endpoint: try AMQPEndpoint(url: url))
    }
}
