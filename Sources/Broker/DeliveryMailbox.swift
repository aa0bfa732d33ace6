internal import DequeModule
import Synchronization

/// Hands deliveries from a broker (a connection thread or the embedded actor) to the task
/// iterating a ``BrokerConsumer``. Unbounded on purpose: the consumer's prefetch already bounds
/// how many deliveries the broker sends before some are acknowledged.
final class DeliveryMailbox: Sendable {
    private struct State {
        var buffer: Deque<Delivery> = []
        var waiters: [CheckedContinuation<Delivery?, any Error>] = []
        var finished = false
        var failure: BrokerError?
        var onTermination: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// `handler` runs once, when the iterating task is cancelled, so the broker can stop the
    /// subscription and let the server requeue what was not acknowledged.
    func setTerminationHandler(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.onTermination = handler }
    }

    /// Returns false once the mailbox is finished; the delivery is then dropped (its subscription
    /// is gone, so the server requeues it).
    @discardableResult
    func push(_ delivery: Delivery) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Delivery?, any Error>?) in
            if state.finished { return (false, nil) }
            if state.waiters.isEmpty {
                state.buffer.append(delivery)
                return (true, nil)
            }
            return (true, state.waiters.removeFirst())
        }
        waiter?.resume(returning: delivery)
        return accepted
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// The buffer is at most a prefetch long, so a scan costs less than keeping it ordered.
    private static func popHighest(_ buffer: inout Deque<Delivery>) -> Delivery? {
        guard var best = buffer.indices.first else { return nil }
        for i in buffer.indices where buffer[i].priority > buffer[best].priority { best = i }
        return buffer.remove(at: best)
    }

    /// Ends iteration: waiting and later `next()` calls return nil, or throw `error`.
    /// Buffered deliveries are dropped; the server requeues them with the subscription.
    func finish(throwing error: BrokerError? = nil) {
        let waiters = state.withLock { state -> [CheckedContinuation<Delivery?, any Error>] in
            guard !state.finished else { return [] }
            state.finished = true
            state.failure = error
            state.buffer.removeAll()
            state.onTermination = nil
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// The next delivery in arrival order, or with `byPriority` the first of the highest
    /// priority among those waiting here.
    func next(byPriority: Bool = false) async throws -> Delivery? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Outcome { case deliver(Delivery), end, fail(BrokerError), wait }
                let outcome: Outcome = state.withLock { state in
                    let delivery = byPriority ? Self.popHighest(&state.buffer) : state.buffer.popFirst()
                    if let delivery { return .deliver(delivery) }
                    if state.finished { return state.failure.map { .fail($0) } ?? .end }
                    state.waiters.append(continuation)
                    return .wait
                }
                switch outcome {
                case .deliver(let delivery): continuation.resume(returning: delivery)
                case .end: continuation.resume(returning: nil)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            // Finishing (rather than resuming one waiter) also covers a cancellation that races
            // ahead of the waiter's registration: it then finds the mailbox finished.
            let handler = state.withLock { $0.onTermination }
            finish()
            handler?()
        }
    }
}
