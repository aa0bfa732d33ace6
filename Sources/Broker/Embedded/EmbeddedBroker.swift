public import Logging
public import ServiceLifecycle

/// An in-process broker with the semantics Herald relies on from RabbitMQ, for `herald serve`
/// without servers and for tests: durable-looking queues (in memory only: nothing survives the
/// process), per-queue priority order, prefetch and manual acks, redelivery of unacknowledged
/// messages when a consumer stops, delay tiers through TTL queues that dead-letter back, and
/// dead letters.
///
/// Publishing and consuming work at once; delay tiers only advance while ``run()`` runs (add the
/// broker to the `ServiceGroup`).
public final class EmbeddedBroker: MessageBroker, Service {
    public struct Configuration: Sendable {
        public var topology: Topology
        /// How long a delay tier really waits. Tests shorten it; production keeps the default.
        public var tierDelay: @Sendable (DelayTier) -> Duration

        public init(
            topology: Topology = .standard,
            tierDelay: @escaping @Sendable (DelayTier) -> Duration = { $0.duration }
        ) {
            self.topology = topology
            self.tierDelay = tierDelay
        }
    }

    public let topology: Topology
    private let plan: TopologyPlan
    private let core: EmbeddedCore

    /// Always true: there is no server to lose.
    public var isConnected: Bool { true }
    private let logger: Logger

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "herald.broker.embedded")) {
        topology = configuration.topology
        plan = TopologyPlan(configuration.topology, tierDelay: configuration.tierDelay)
        self.logger = logger
        core = EmbeddedCore(logger: logger)
    }

    /// Runs the delay-tier timers until graceful shutdown or cancellation, then shuts the broker
    /// down: consumers' iterations end and later operations throw ``BrokerError/shutdown``.
    public func run() async throws {
        logger.debug("embedded broker running")
        await cancelWhenGracefulShutdown { [core] in
            await Self.expireMessages(core)
        }
        await core.shutdown()
        logger.debug("embedded broker stopped")
    }

    /// Sleeps until the next message expires, or until a new message could expire sooner.
    private static func expireMessages(_ core: EmbeddedCore) async {
        while !Task.isCancelled {
            let next = await core.expireDue()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await core.expiryChanged.wait() }
                if let next {
                    group.addTask { try? await Task.sleep(until: next, clock: .continuous) }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    public func declareTopology() async throws {
        try await core.declare(plan)
    }

    public func publish(_ messages: [OutgoingMessage]) async throws {
        try Task.checkCancellation()
        try await core.publish(messages)
    }

    public func publish(_ messages: [OutgoingMessage], delay tier: DelayTier) async throws {
        let delayed = try messages.map { message throws(BrokerError) in try message.delayed(by: tier, topology: topology) }
        try await publish(delayed)
    }

    public func consume(queue: String, prefetch: UInt16) async throws -> BrokerConsumer {
        let (id, mailbox) = try await core.consume(queue: queue, prefetch: prefetch)
        mailbox.setTerminationHandler { [core] in
            // The iterating task was cancelled; requeue what it held. Detached from that task
            // because it is being cancelled, and the requeue must still happen.
            Task { await core.cancel(consumer: id) }
        }
        return BrokerConsumer(backend: EmbeddedConsumerBackend(core: core, id: id, queue: queue, mailbox: mailbox))
    }

    public func deadLetter(_ messages: [OutgoingMessage], reason: DeadLetterReason) async throws {
        try await publish(messages.map { $0.deadLettered(reason, topology: topology) })
    }

    /// Messages ready (not delivered) in `queue`, or nil if it does not exist. For tests and diagnostics.
    public func readyCount(queue: String) async -> Int? {
        await core.readyCount(queue)
    }
}
