import Synchronization

/// Group commit for publishes: callers that arrive while a commit is in flight wait together
/// and go out in the next one, so one confirmed broker call covers many callers. `commit` gets
/// what piled up, in arrival order, and returns one outcome per item (nil when it is durable);
/// each caller returns or throws accordingly, so nobody returns before its item is confirmed.
public final class GroupCommit<Item: Sendable>: Sendable {
    typealias Waiter = (item: Item, continuation: CheckedContinuation<Void, any Error>)

    struct State {
        var pending: [Waiter] = []
        var flushing = false
    }

    let commit: @Sendable ([Item]) async -> [(any Error)?]
    let state = Mutex(State())

    public init(commit: @escaping @Sendable ([Item]) async -> [(any Error)?]) {
        self.commit = commit
    }

    /// For a commit that succeeds or fails as a whole (one broker call).
    public convenience init(allOrNothing commit: @escaping @Sendable ([Item]) async throws -> Void) {
        self.init { items in
            do {
                try await commit(items)
                return Array(repeating: nil, count: items.count)
            } catch {
                return Array(repeating: error, count: items.count)
            }
        }
    }

    /// Callers waiting for the next commit (not the one in flight).
    public var waiting: Int { state.withLock { $0.pending.count } }

    /// Returns once the commit carrying `item` succeeded; throws its error otherwise.
    public func submit(_ item: Item) async throws {
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
            let outcomes = await commit(batch.map(\.item))
            for (i, w) in batch.enumerated() {
                // A commit that says nothing about an item cannot vouch for it.
                let error = i < outcomes.count ? outcomes[i] : GroupCommitError.noOutcome
                if let error { w.continuation.resume(throwing: error) } else { w.continuation.resume() }
            }
        }
    }
}

/// A commit returned fewer outcomes than it was given items.
public enum GroupCommitError: Error, Sendable {
    case noOutcome
}
