internal import DequeModule

/// One queue of the embedded broker: ready messages by priority, and its consumers in
/// round-robin order. Confined to the ``EmbeddedCore`` actor.
final class EmbeddedQueue {
    let spec: TopologyPlan.Queue
    /// Index = priority. A queue without `x-max-priority` has a single level, like RabbitMQ,
    /// which then ignores message priorities.
    private var levels: [Deque<StoredMessage>]
    private(set) var readyCount = 0
    var consumerIDs: [UInt64] = []
    var nextConsumerIndex = 0

    init(spec: TopologyPlan.Queue) {
        self.spec = spec
        levels = Array(repeating: [], count: Int(spec.maxPriority ?? 0) + 1)
    }

    private func level(of message: StoredMessage) -> Int {
        min(Int(message.priority), levels.count - 1)
    }

    func enqueue(_ message: StoredMessage) {
        levels[level(of: message)].append(message)
        readyCount += 1
    }

    /// Puts messages taken back from a consumer ahead of the others of their priority, in the
    /// order given (RabbitMQ requeues near the original position, which is at or near the head).
    func requeueAtFront(_ messages: [StoredMessage]) {
        for message in messages.reversed() {
            levels[level(of: message)].prepend(message)
            readyCount += 1
        }
    }

    /// The highest-priority message, oldest first within a priority.
    func dequeue() -> StoredMessage? {
        for index in levels.indices.reversed() where !levels[index].isEmpty {
            readyCount -= 1
            return levels[index].removeFirst()
        }
        return nil
    }

    /// Removes and returns messages whose TTL has run out at `now`. Like RabbitMQ, only heads
    /// are examined: a queue with one TTL is FIFO in expiry order.
    func removeExpired(now: ContinuousClock.Instant) -> [StoredMessage] {
        guard let ttl = spec.messageTTL else { return [] }
        var expired: [StoredMessage] = []
        for index in levels.indices {
            while let head = levels[index].first, head.enqueuedAt + ttl <= now {
                expired.append(levels[index].removeFirst())
                readyCount -= 1
            }
        }
        return expired
    }

    /// When the next message expires, if the queue has a TTL and messages.
    var nextExpiry: ContinuousClock.Instant? {
        guard let ttl = spec.messageTTL else { return nil }
        return levels.compactMap { $0.first.map { $0.enqueuedAt + ttl } }.min()
    }
}
