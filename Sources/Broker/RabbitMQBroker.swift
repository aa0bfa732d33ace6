public import Logging
public import ServiceLifecycle
import Synchronization

/// ``MessageBroker`` on RabbitMQ, through librabbitmq.
///
/// It keeps two connections, one for publishing and one for consuming (so a slow consumer never
/// delays publisher confirms), each on its own OS thread because librabbitmq blocks. Both
/// reconnect with exponential backoff, declare the topology again and resume: publishes that
/// were not confirmed are sent again (so a message may arrive twice, never zero times) and
/// consumers subscribe again (the server redelivers what was not acknowledged).
///
/// Call ``run()`` (or add the broker to a `ServiceGroup`); operations issued before it starts wait
/// for it. On graceful shutdown it waits up to ``RabbitMQConfiguration/shutdownTimeout`` for
/// outstanding confirms, ends every consumer's iteration and closes the connections.
public final class RabbitMQBroker: MessageBroker, Service {
    public let topology: Topology
    private let configuration: RabbitMQConfiguration
    private let plan: TopologyPlan
    private let publisher: ConnectionLoop<PublisherSession>
    private let consumer: ConnectionLoop<ConsumerSession>
    private let nextID = Atomic<UInt64>(1)
    private let started = Atomic<Bool>(false)
    private let logger: Logger

    /// True while the publishing connection is logged in and the consuming one is too, or has no
    /// consumers and so needs no connection. False before ``run()``, while either reconnects (or
    /// the server refuses the login), and after shutdown.
    public var isConnected: Bool { publisher.link.state != .down && consumer.link.state != .down }

    public init(configuration: RabbitMQConfiguration, logger: Logger = Logger(label: "herald.broker.rabbitmq")) throws {
        self.configuration = configuration
        topology = configuration.topology
        plan = TopologyPlan(configuration.topology)
        var logger = logger
        logger[metadataKey: "amqp.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        let declared = DeclaredTopology()
        func settings(_ role: String) -> ConnectionLoopSettings {
            ConnectionLoopSettings(
                connection: AMQPConnection.Settings(
                    endpoint: configuration.endpoint, heartbeat: configuration.heartbeat,
                    connectTimeout: configuration.connectTimeout, requestTimeout: configuration.requestTimeout,
                    connectionName: "\(configuration.connectionName)-\(role)"),
                backoff: configuration.reconnectBackoff, shutdownTimeout: configuration.shutdownTimeout)
        }
        var publisherLogger = logger
        publisherLogger[metadataKey: "amqp.connection"] = "publisher"
        var consumerLogger = logger
        consumerLogger[metadataKey: "amqp.connection"] = "consumer"
        let window = configuration.confirmWindow
        do {
            publisher = try ConnectionLoop(
                threadName: "herald-amqp-publish", settings: settings("publisher"), logger: publisherLogger
            ) { [publisherLogger] in
                PublisherSession(window: window, topology: declared, logger: publisherLogger)
            }
            consumer = try ConnectionLoop(
                threadName: "herald-amqp-consume", settings: settings("consumer"), logger: consumerLogger
            ) { [consumerLogger] in
                ConsumerSession(topology: declared, logger: consumerLogger)
            }
        } catch {
            throw BrokerError.connectionFailed(endpoint: "\(configuration.endpoint)", reason: "\(error)")
        }
    }

    /// A broker for `amqp://USER:PASS@HOST:PORT/VHOST` with default settings.
    public convenience init(url: String, logger: Logger = Logger(label: "herald.broker.rabbitmq")) throws {
        try self.init(configuration: RabbitMQConfiguration(url: url), logger: logger)
    }

    /// Starts the connection threads, then waits for graceful shutdown (or cancellation) and
    /// shuts down. Returns once both threads have exited.
    public func run() async throws {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else {
            throw BrokerError.invalidArgument("run() was already called on this broker")
        }
        logger.info("starting RabbitMQ broker")
        publisher.start()
        consumer.start()
        try? await gracefulShutdown()
        logger.info("shutting down RabbitMQ broker")
        async let publisherStopped: Void = publisher.stop()
        async let consumerStopped: Void = consumer.stop()
        _ = await (publisherStopped, consumerStopped)
        logger.info("RabbitMQ broker stopped")
    }

    /// Waits until the publishing connection has declared the topology, which is as long as the
    /// broker cannot be reached. Cancelling the task ends the wait with `CancellationError`.
    public func declareTopology() async throws {
        try Task.checkCancellation()
        let request = PublisherSession.DeclareRequest(plan: plan)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard request.register(continuation) else { return }
                if !publisher.inbox.send(.declare(request)) {
                    request.resume(throwing: BrokerError.shutdown)
                }
            }
        } onCancel: {
            request.resume(throwing: CancellationError())
            publisher.inbox.send(.abandonDeclaration(request))
        }
    }

    public func publish(_ messages: [OutgoingMessage]) async throws {
        guard !messages.isEmpty else { return }
        try Task.checkCancellation()
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let request = PublisherSession.PublishRequest(id: id, messages: messages, continuation: continuation)
                if !publisher.inbox.send(.publish(request)) {
                    continuation.resume(throwing: BrokerError.shutdown)
                }
            }
        } onCancel: {
            publisher.inbox.send(.cancel(id: id))
        }
    }

    public func publish(_ messages: [OutgoingMessage], delay tier: DelayTier) async throws {
        let delayed = try messages.map { message throws(BrokerError) in try message.delayed(by: tier, topology: topology) }
        try await publish(delayed)
    }

    public func deadLetter(_ messages: [OutgoingMessage], reason: DeadLetterReason) async throws {
        try await publish(messages.map { $0.deadLettered(reason, topology: topology) })
    }

    public func consume(queue: String, prefetch: UInt16) async throws -> BrokerConsumer {
        try Task.checkCancellation()
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let shared = ConsumerShared()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let subscription = ConsumerSession.Subscription(
                    id: id, queue: queue, prefetch: prefetch, shared: shared, ready: continuation)
                if !consumer.inbox.send(.subscribe(subscription)) {
                    continuation.resume(throwing: BrokerError.shutdown)
                }
            }
        } onCancel: {
            consumer.inbox.send(.abandon(id: id))
        }
        if Task.isCancelled {
            consumer.inbox.send(.cancel(id: id, done: nil))
            throw CancellationError()
        }
        shared.mailbox.setTerminationHandler { [consumer] in
            consumer.inbox.send(.cancel(id: id, done: nil))
        }
        return BrokerConsumer(backend: RabbitMQConsumerBackend(loop: consumer, id: id, queue: queue, shared: shared))
    }
}
