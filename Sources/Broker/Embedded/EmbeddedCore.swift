import Logging
import class HeraldAPI.WakeSignal

/// The embedded broker's state: exchanges, queues, consumers. Being an actor serialises every
/// operation, which is what gives the embedded broker RabbitMQ's per-queue ordering.
actor EmbeddedCore {
    /// One subscription and what it holds unacknowledged.
    final class Consumer {
        let id: UInt64
        let queue: String
        let prefetch: UInt16
        let mailbox: DeliveryMailbox
        var unacked: [UInt64: StoredMessage] = [:]
        var nextTag: UInt64 = 1

        init(id: UInt64, queue: String, prefetch: UInt16, mailbox: DeliveryMailbox) {
            self.id = id
            self.queue = queue
            self.prefetch = prefetch
            self.mailbox = mailbox
        }

        var hasCapacity: Bool { prefetch == 0 || unacked.count < Int(prefetch) }
    }

    private let logger: Logger
    /// exchange name → routing key → bound queues. The default exchange "" is implicit.
    private var exchanges: [String: [String: [String]]] = [:]
    private var queues: [String: EmbeddedQueue] = [:]
    private var consumers: [UInt64: Consumer] = [:]
    private var nextConsumerID: UInt64 = 1
    private var isShutdown = false
    /// Wakes the expiry loop when a message may now expire earlier than it planned for.
    nonisolated let expiryChanged = WakeSignal()

    init(logger: Logger) {
        self.logger = logger
    }

    // MARK: Topology

    func declare(_ plan: TopologyPlan) throws(BrokerError) {
        try checkRunning()
        for exchange in plan.exchanges where exchanges[exchange.name] == nil {
            exchanges[exchange.name] = [:]
        }
        for spec in plan.queues {
            if let existing = queues[spec.name] {
                // RabbitMQ answers PRECONDITION_FAILED here; the embedded broker behaves the same.
                guard existing.spec == spec else {
                    throw .topologyConflict("queue '\(spec.name)' exists with other arguments")
                }
            } else {
                queues[spec.name] = EmbeddedQueue(spec: spec)
            }
        }
        for binding in plan.bindings {
            var routes = exchanges[binding.exchange, default: [:]]
            if !routes[binding.routingKey, default: []].contains(binding.queue) {
                routes[binding.routingKey, default: []].append(binding.queue)
            }
            exchanges[binding.exchange] = routes
        }
    }

    // MARK: Publishing

    func publish(_ messages: [OutgoingMessage]) throws(BrokerError) {
        try checkRunning()
        let now = ContinuousClock.now
        var failures: [PublishFailure] = []
        var touched: Set<String> = []
        for (index, message) in messages.enumerated() {
            let stored = StoredMessage(message, at: now)
            switch route(exchange: message.exchange, keys: stored.routingKeys) {
            case .queues(let targets):
                for name in targets {
                    enqueue(stored, into: name)
                    touched.insert(name)
                }
            case .failed(let reason):
                failures.append(
                    PublishFailure(
                        index: index, exchange: message.exchange, routingKey: message.routingKey, reason: reason))
            }
        }
        for name in touched { dispatch(name) }
        if !failures.isEmpty { throw .publishFailed(failures) }
    }

    private enum Route {
        case queues([String])
        case failed(PublishFailure.Reason)
    }

    private func route(exchange: String, keys: [String]) -> Route {
        var targets: [String] = []
        if exchange.isEmpty {
            targets = keys.filter { queues[$0] != nil }
        } else {
            guard let routes = exchanges[exchange] else { return .failed(.exchangeNotFound) }
            for key in keys {
                for queue in routes[key] ?? [] where !targets.contains(queue) {
                    targets.append(queue)
                }
            }
        }
        return targets.isEmpty ? .failed(.unroutable("NO_ROUTE")) : .queues(targets)
    }

    private func enqueue(_ message: StoredMessage, into name: String) {
        guard let queue = queues[name] else { return }
        let wasIdle = queue.nextExpiry == nil
        queue.enqueue(message)
        if wasIdle, queue.spec.messageTTL != nil { expiryChanged.fire() }
    }

    // MARK: Consuming

    func consume(queue name: String, prefetch: UInt16) throws(BrokerError) -> (id: UInt64, mailbox: DeliveryMailbox) {
        try checkRunning()
        guard let queue = queues[name] else { throw .queueNotFound(name) }
        let id = nextConsumerID
        nextConsumerID += 1
        let consumer = Consumer(id: id, queue: name, prefetch: prefetch, mailbox: DeliveryMailbox())
        consumers[id] = consumer
        queue.consumerIDs.append(id)
        dispatch(name)
        return (id, consumer.mailbox)
    }

    /// Hands ready messages to consumers with room under their prefetch, round-robin.
    private func dispatch(_ name: String) {
        guard let queue = queues[name], !queue.consumerIDs.isEmpty else { return }
        var skipped = 0
        while queue.readyCount > 0, skipped < queue.consumerIDs.count {
            let index = queue.nextConsumerIndex % queue.consumerIDs.count
            queue.nextConsumerIndex = index + 1
            guard let consumer = consumers[queue.consumerIDs[index]], consumer.hasCapacity else {
                skipped += 1
                continue
            }
            skipped = 0
            guard let message = queue.dequeue() else { break }
            let tag = consumer.nextTag
            consumer.nextTag += 1
            consumer.unacked[tag] = message
            // A finished mailbox means the consumer is being cancelled; the message stays in
            // `unacked` and goes back to the queue with the others.
            consumer.mailbox.push(
                Delivery(
                    body: message.body, queue: name, exchange: message.exchange, routingKey: message.routingKey,
                    headers: message.headers, priority: message.priority, redelivered: message.redelivered,
                    deliveryTag: tag, messageID: message.messageID, correlationID: message.correlationID,
                    generation: 0))
        }
    }

    func ack(consumer id: UInt64, tag: UInt64, multiple: Bool) throws(BrokerError) {
        guard let consumer = consumers[id] else {
            // Cancelled consumer: its deliveries were requeued already, as RabbitMQ does.
            return
        }
        let settled = try take(tag, multiple: multiple, from: consumer)
        logger.trace("acked", metadata: ["queue": "\(consumer.queue)", "count": "\(settled.count)"])
        dispatch(consumer.queue)
    }

    func nack(consumer id: UInt64, tag: UInt64, requeue: Bool, multiple: Bool) throws(BrokerError) {
        guard let consumer = consumers[id], let queue = queues[consumer.queue] else { return }
        let settled = try take(tag, multiple: multiple, from: consumer)
        if requeue {
            queue.requeueAtFront(
                settled.map {
                    var message = $0; message.redelivered = true; return message
                })
        } else {
            for message in settled { deadLetter(message, from: queue, reason: "rejected") }
        }
        dispatch(consumer.queue)
    }

    private func take(_ tag: UInt64, multiple: Bool, from consumer: Consumer) throws(BrokerError) -> [StoredMessage] {
        guard multiple else {
            guard let message = consumer.unacked.removeValue(forKey: tag) else { throw .unknownDeliveryTag(tag) }
            return [message]
        }
        let tags = consumer.unacked.keys.filter { $0 <= tag }.sorted()
        guard !tags.isEmpty else { throw .unknownDeliveryTag(tag) }
        return tags.compactMap { consumer.unacked.removeValue(forKey: $0) }
    }

    func cancel(consumer id: UInt64) {
        guard let consumer = consumers.removeValue(forKey: id) else { return }
        consumer.mailbox.finish()
        guard let queue = queues[consumer.queue] else { return }
        queue.consumerIDs.removeAll { $0 == id }
        let pending = consumer.unacked.sorted { $0.key < $1.key }.map { entry -> StoredMessage in
            var message = entry.value
            message.redelivered = true
            return message
        }
        queue.requeueAtFront(pending)
        dispatch(consumer.queue)
    }

    // MARK: Dead letters and expiry

    /// Routes a message the way RabbitMQ dead-letters it: to the queue's dead-letter exchange,
    /// with its dead-letter routing key or else the message's original keys (including CC).
    private func deadLetter(_ message: StoredMessage, from queue: EmbeddedQueue, reason: String) {
        guard let exchange = queue.spec.deadLetterExchange else { return }
        var copy = message
        copy.redelivered = false
        copy.exchange = exchange
        if let key = queue.spec.deadLetterRoutingKey { copy.routingKeys = [key] }
        if copy.headers["x-first-death-reason"] == nil {
            copy.headers["x-first-death-reason"] = reason
            copy.headers["x-first-death-queue"] = queue.spec.name
            copy.headers["x-first-death-exchange"] = message.exchange
        }
        copy.enqueuedAt = .now
        switch route(exchange: exchange, keys: copy.routingKeys) {
        case .queues(let targets):
            for name in targets {
                enqueue(copy, into: name)
                dispatch(name)
            }
        case .failed:
            logger.warning(
                "dead letter dropped: no route",
                metadata: ["queue": "\(queue.spec.name)", "exchange": "\(exchange)", "reason": "\(reason)"])
        }
    }

    /// Dead-letters every expired message and returns when the next one expires.
    func expireDue(now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
        var next: ContinuousClock.Instant?
        for queue in queues.values where queue.spec.messageTTL != nil {
            for message in queue.removeExpired(now: now) {
                deadLetter(message, from: queue, reason: "expired")
            }
            if let due = queue.nextExpiry { next = min(next ?? due, due) }
        }
        return next
    }

    // MARK: Lifecycle

    func shutdown() {
        isShutdown = true
        for consumer in consumers.values { consumer.mailbox.finish(throwing: nil) }
        consumers.removeAll()
    }

    private func checkRunning() throws(BrokerError) {
        if isShutdown { throw .shutdown }
    }

    /// Ready messages in `queue`, for tests and diagnostics.
    func readyCount(_ queue: String) -> Int? {
        queues[queue]?.readyCount
    }
}
