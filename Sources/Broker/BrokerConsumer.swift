/// A subscription to one queue: an async sequence of deliveries, plus their acknowledgements.
///
/// Iterate it from one task. Leaving the loop does not stop the subscription; ``cancel()`` does,
/// and so does cancelling the iterating task. Either way the broker requeues every delivery not
/// yet acknowledged.
public struct BrokerConsumer: AsyncSequence, Sendable {
    public typealias Element = Delivery

    let backend: any ConsumerBackend

    init(backend: any ConsumerBackend) {
        self.backend = backend
    }

    /// The queue being consumed.
    public var queue: String { backend.queue }

    /// Acknowledges `delivery`, and with `multiple` every earlier delivery of this consumer too
    /// (one ack for a batch). Returns once the ack has left this process (RabbitMQ: written to
    /// the connection's socket), so work counted as done after it is not handed out again if the
    /// process dies; acks of a subscription that has since ended are dropped, as the server has
    /// requeued those deliveries.
    /// - Throws: `BrokerError.shutdown` when the broker is shutting down.
    public func ack(_ delivery: Delivery, multiple: Bool = false) async throws {
        try await backend.ack(delivery, multiple: multiple)
    }

    /// Rejects `delivery` (and with `multiple` every earlier one). With `requeue` it goes back to
    /// its queue, flagged redelivered; without, it is dead-lettered by the queue (job and results
    /// queues send it to `herald.failed`).
    public func nack(_ delivery: Delivery, requeue: Bool, multiple: Bool = false) async throws {
        try await backend.nack(delivery, requeue: requeue, multiple: multiple)
    }

    /// Stops the subscription; iteration ends and unacknowledged deliveries are requeued.
    public func cancel() async {
        await backend.cancel()
    }

    /// The next delivery, or nil once the subscription has ended. The same as iterating, for
    /// callers that keep the consumer in a shared (Sendable) place rather than in one task's loop.
    ///
    /// With `byPriority`, the first of the highest priority among the deliveries this consumer
    /// holds (up to its prefetch) rather than the oldest, so a high-priority message overtakes
    /// what the broker handed out before it. Only for consumers that ack each delivery on its
    /// own: a `multiple` ack after taking one out of order would acknowledge older deliveries
    /// not yet handled.
    public func next(byPriority: Bool = false) async throws -> Delivery? {
        while let delivery = try await backend.mailbox.next(byPriority: byPriority) {
            // Deliveries buffered before a reconnect will be redelivered by the server under
            // new tags; handing out the old copies would only produce acks the server rejects.
            if backend.isCurrent(delivery) { return delivery }
        }
        return nil
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: BrokerConsumer

        public mutating func next() async throws -> Delivery? {
            try await consumer.next()
        }
    }
}

/// The broker-specific side of a ``BrokerConsumer``.
protocol ConsumerBackend: Sendable {
    var queue: String { get }
    var mailbox: DeliveryMailbox { get }
    func isCurrent(_ delivery: Delivery) -> Bool
    func ack(_ delivery: Delivery, multiple: Bool) async throws
    func nack(_ delivery: Delivery, requeue: Bool, multiple: Bool) async throws
    func cancel() async
}
