/// The declarations that realise a ``Topology``, as data, so that the RabbitMQ broker and the
/// embedded broker build exactly the same exchanges, queues, arguments and bindings.
struct TopologyPlan: Sendable, Equatable {
    struct Exchange: Sendable, Equatable {
        var name: String
    }

    struct Queue: Sendable, Equatable {
        var name: String
        var maxPriority: UInt8?
        var messageTTL: Duration?
        var deadLetterExchange: String?
        var deadLetterRoutingKey: String?
    }

    struct Binding: Sendable, Equatable {
        var queue: String
        var exchange: String
        var routingKey: String
    }

    /// All exchanges are durable `direct` exchanges.
    var exchanges: [Exchange]
    /// All queues are durable, non-exclusive, not auto-deleted.
    var queues: [Queue]
    var bindings: [Binding]

    /// `tierDelay` lets the embedded broker's tests shorten the tiers; RabbitMQ always gets the real ones.
    init(_ topology: Topology, tierDelay: (DelayTier) -> Duration = { $0.duration }) {
        let failed = topology.failedQueue
        exchanges = [Exchange(name: topology.jobsExchange), Exchange(name: topology.retryExchange)]
        var queues: [Queue] = []
        var bindings: [Binding] = []
        for type in JobType.allCases {
            let name = topology.jobsQueue(for: type)
            // "" is the default exchange, which routes by queue name, so rejected jobs go to herald.failed.
            queues.append(
                Queue(
                    name: name, maxPriority: topology.maxPriority,
                    deadLetterExchange: "", deadLetterRoutingKey: failed))
            bindings.append(Binding(queue: name, exchange: topology.jobsExchange, routingKey: type.rawValue))
        }
        for tier in DelayTier.allCases {
            let name = topology.retryQueue(for: tier)
            // No x-dead-letter-routing-key on purpose: see the CC explanation on Topology.
            queues.append(
                Queue(
                    name: name, messageTTL: tierDelay(tier),
                    deadLetterExchange: topology.jobsExchange))
            bindings.append(Binding(queue: name, exchange: topology.retryExchange, routingKey: tier.rawValue))
        }
        queues.append(Queue(name: topology.resultsQueue, deadLetterExchange: "", deadLetterRoutingKey: failed))
        queues.append(Queue(name: failed))
        self.queues = queues
        self.bindings = bindings
    }
}
