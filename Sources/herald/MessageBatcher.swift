import Broker
import Synchronization

/// Coalesces concurrent publishes into one confirmed broker call per flush (group commit): while
/// a call is in flight, what arrives piles up and goes out together in the next one. `pack`
/// turns what piled up into the messages of that call (one per item, or several items per
/// message), so each caller returns only once the message carrying its item is confirmed, and
/// every caller of a failed call gets its error.
final class MessageBatcher<Item: Sendable>: Sendable {
    typealias Waiter = (item: Item, continuation: CheckedContinuation<Void, any Error>)

    struct State {
        var pending: [Waiter] = []
        var flushing = false
    }

    /// Publishes and returns once the broker confirmed every message (`MessageBroker.publish`).
    let send: @Sendable ([OutgoingMessage]) async throws -> Void
    let pack: @Sendable ([Item]) -> [OutgoingMessage]
    let state = Mutex(State())

    init(send: @escaping @Sendable ([OutgoingMessage]) async throws -> Void, pack: @escaping @Sendable ([Item]) -> [OutgoingMessage]) {
        self.send = send
        self.pack = pack
    }

    func publish(_ item: Item) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { s -> Bool in
                s.pending.append((item, c))
                if s.flushing { return false }
                s.flushing = true
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { s -> [Waiter] in
                let b = s.pending
                s.pending.removeAll(keepingCapacity: true)
                if b.isEmpty { s.flushing = false }
                return b
            }
            if batch.isEmpty { return }
            do {
                try await send(pack(batch.map(\.item)))
                for w in batch { w.continuation.resume() }
            } catch {
                for w in batch { w.continuation.resume(throwing: error) }
            }
        }
    }
}
