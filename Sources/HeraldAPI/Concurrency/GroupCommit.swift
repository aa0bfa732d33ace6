import Synchronization

/// Group commit: callers that arrive while a commit is in flight wait together and go out in the
/// next one, so one durable operation (a confirmed broker call, a database transaction) covers
/// many callers. `commit` gets what piled up, in arrival order and at most `maxBatch` at a time,
/// and returns one outcome per item; each caller returns or throws accordingly, so nobody
/// returns before its item is durable. The publish batcher, the worker's result packer and both
/// stores' write queues are this one loop.
public final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    public typealias Outcome = Result<Output, any Error>

    struct Waiter {
        let item: Item
        let complete: @Sendable (Outcome) -> Void
    }

    struct State {
        var pending: [Waiter] = []
        var flushing = false
    }

    let commit: @Sendable ([Item]) async -> [Outcome]
    let maxBatch: Int
    let executor: (any TaskExecutor)?
    let state = Mutex(State())

    /// `executor`: where the commit loop runs (nil: the shared pool).
    public init(
        maxBatch: Int = .max, executor: (any TaskExecutor)? = nil, commit: @escaping @Sendable ([Item]) async -> [Outcome]
    ) {
        self.maxBatch = max(1, maxBatch)
        self.executor = executor
        self.commit = commit
    }

    /// Callers waiting for the next commit (not the one in flight).
    public var waiting: Int { state.withLock { $0.pending.count } }

    /// Returns the outcome of the commit carrying `item`; throws its error otherwise.
    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Output, any Error>) in
            enqueue([Waiter(item: item) { c.resume(with: $0) }])
        }
    }

    /// Submits several items at once and wakes once, when the last of them is decided (a set
    /// larger than `maxBatch` spans several commits); outcomes in the order given.
    public func submitAll(_ items: [Item]) async -> [Outcome] {
        guard !items.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let group = Collected(count: items.count, continuation: continuation)
            enqueue(items.enumerated().map { i, item in Waiter(item: item) { group.complete(i, with: $0) } })
        }
    }

    private func enqueue(_ waiters: [Waiter]) {
        let start = state.withLock { s -> Bool in
            s.pending.append(contentsOf: waiters)
            if s.flushing { return false }
            s.flushing = true
            return true
        }
        if start { Task(executorPreference: executor) { await self.flush() } }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { s -> [Waiter] in
                let b = Array(s.pending.prefix(maxBatch))
                s.pending.removeFirst(b.count)
                if b.isEmpty { s.flushing = false }
                return b
            }
            if batch.isEmpty { return }
            let outcomes = await commit(batch.map(\.item))
            for (i, w) in batch.enumerated() {
                // A commit that says nothing about an item cannot vouch for it.
                w.complete(i < outcomes.count ? outcomes[i] : .failure(GroupCommitError.noOutcome))
            }
        }
    }

    /// The outcomes of one `submitAll`, handed back together once the last is decided.
    final class Collected: Sendable {
        private struct State {
            var outcomes: [Outcome?]
            var remaining: Int
        }

        private let state: Mutex<State>
        private let continuation: CheckedContinuation<[Outcome], Never>

        init(count: Int, continuation: CheckedContinuation<[Outcome], Never>) {
            state = Mutex(State(outcomes: Array(repeating: nil, count: count), remaining: count))
            self.continuation = continuation
        }

        func complete(_ index: Int, with outcome: Outcome) {
            let done = state.withLock { s -> [Outcome]? in
                s.outcomes[index] = outcome
                s.remaining -= 1
                return s.remaining == 0 ? s.outcomes.map { $0 ?? .failure(GroupCommitError.noOutcome) } : nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

extension GroupCommit where Output == Void {
    /// For a commit that reports only failures: one error per item, nil when it is durable.
    public convenience init(maxBatch: Int = .max, failures commit: @escaping @Sendable ([Item]) async -> [(any Error)?]) {
        self.init(maxBatch: maxBatch) { items in
            await commit(items).map { error in error.map { .failure($0) } ?? .success(()) }
        }
    }

    /// For a commit that succeeds or fails as a whole (one broker call).
    public convenience init(allOrNothing commit: @escaping @Sendable ([Item]) async throws -> Void) {
        self.init { items in
            do {
                try await commit(items)
                return Array(repeating: .success(()), count: items.count)
            } catch {
                return Array(repeating: .failure(error), count: items.count)
            }
        }
    }
}

/// A commit returned fewer outcomes than it was given items.
public enum GroupCommitError: Error, Sendable {
    case noOutcome
}
