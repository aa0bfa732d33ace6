import Foundation
import HeraldAPI
import PostgresNIO
import Synchronization

extension PostgresStore {
    public func mutate(_ key: ObjectKey, dryRun: Bool, _ body: @escaping @Sendable (Resource?) throws -> Mutation) async throws
        -> MutationResult
    {
        if dryRun {
            let current = try await load(key)
            // The same dry-run answer as the embedded store, so both backends agree byte for byte.
            return try SQLiteStore.dryRunResult(current: current, mutation: body(current))
        }
        try await awaitReady()
        return try await withCheckedThrowingContinuation { continuation in
            enqueue([PendingWrite(decision: .init(key: key, body: body)) { continuation.resume(with: $0) }])
        }
    }

    /// One submission for the whole set: the flush loop commits it with whatever else is queued,
    /// and the caller wakes once, when the last of them is decided.
    public func mutateAll(_ writes: [StoreWrite]) async -> [Result<MutationResult, any Error>] {
        guard !writes.isEmpty else { return [] }
        do {
            try await awaitReady()
        } catch {
            return writes.map { _ in .failure(error) }
        }
        return await withCheckedContinuation { continuation in
            let group = WriteGroup(count: writes.count, continuation: continuation)
            enqueue(
                writes.enumerated().map { i, write in
                    PendingWrite(decision: .init(key: write.key, body: write.body)) { group.complete(i, with: $0) }
                })
        }
    }

    private func enqueue(_ items: [PendingWrite]) {
        let startFlush = writes.withLock { queue in
            queue.pending.append(contentsOf: items)
            if queue.flushing { return false }
            queue.flushing = true
            return true
        }
        if startFlush {
            Task { await self.flush() }
        }
    }

    /// Commits queued writes batch after batch until the queue is empty. Writes arriving while a
    /// transaction runs wait for the next one, so under load each transaction carries many.
    func flush() async {
        let writer = PostgresWriteBatch(kinds: kinds, channel: configuration.notifyChannel, recent: recent, logger: logger)
        let maxBatch = configuration.maxBatch
        while true {
            let batch = writes.withLock { queue -> [PendingWrite] in
                let batch = Array(queue.pending.prefix(maxBatch))
                queue.pending.removeFirst(batch.count)
                if batch.isEmpty { queue.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            let decisions = batch.map(\.decision)
            do {
                let outcome = try await withDeadline(currentTimeout, "committing \(batch.count) writes") {
                    try await self.client.withConnection { c in
                        guard !c.isClosed else { throw StoreError.unavailable("the PostgreSQL connection closed") }
                        return try await writer.commit(c, decisions)
                    }
                }
                recent.remember(outcome.events)
                feed.offer(outcome.events)
                for (item, result) in zip(batch, outcome.results) { item.complete(result) }
            } catch {
                let failure = PostgresFailure.storeError(error, while: "committing writes")
                for item in batch { item.complete(.failure(failure)) }
            }
        }
    }
}

/// The outcomes of one `mutateAll`, handed back together once the last write is decided (a set
/// larger than a batch spans several commits).
final class WriteGroup: Sendable {
    typealias Outcome = Result<MutationResult, any Error>

    private struct State {
        var results: [Outcome?]
        var remaining: Int
        var continuation: CheckedContinuation<[Outcome], Never>?
    }

    private let state: Mutex<State>

    init(count: Int, continuation: CheckedContinuation<[Outcome], Never>) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count, continuation: continuation))
    }

    func complete(_ index: Int, with result: Outcome) {
        let done = state.withLock { s -> (CheckedContinuation<[Outcome], Never>, [Outcome])? in
            guard s.results[index] == nil else { return nil }
            s.results[index] = result
            s.remaining -= 1
            guard s.remaining == 0, let continuation = s.continuation else { return nil }
            s.continuation = nil
            return (continuation, s.results.map { $0 ?? .failure(StoreError.unavailable("a write of the group got no answer")) })
        }
        if let (continuation, results) = done { continuation.resume(returning: results) }
    }
}

extension PostgresStore {
    // Lease times are the callers' clocks (epoch seconds), as in the embedded store, so tests can
    // drive expiry; holders on different machines need synchronized clocks (NTP).

    public func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date) async throws -> Lease? {
        let expires = now.addingTimeInterval(duration)
        let version: Int64? = try await perform("acquiring lease \(name)") { c in
            var version: Int64?
            // Free, expired, or already ours: take it and bump the fencing version.
            let rows = try await c.query(
                """
                INSERT INTO leases AS l (name, holder, version, expires, duration)
                VALUES (\(name), \(holder), 1, \(expires.timeIntervalSince1970), \(duration))
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, version = l.version + 1,
                    expires = EXCLUDED.expires, duration = EXCLUDED.duration
                WHERE l.holder = EXCLUDED.holder OR l.expires <= \(now.timeIntervalSince1970)
                RETURNING version
                """, logger: self.logger)
            for try await v in rows.decode(Int64.self) { version = v }
            return version
        }
        return version.map { Lease(name: name, holder: holder, version: $0, expires: expires, duration: duration) }
    }

    public func renewLease(_ lease: Lease, now: Date) async throws -> Lease? {
        let expires = now.addingTimeInterval(lease.duration)
        let version: Int64? = try await perform("renewing lease \(lease.name)") { c in
            var version: Int64?
            let rows = try await c.query(
                """
                UPDATE leases SET version = version + 1, expires = \(expires.timeIntervalSince1970)
                WHERE name = \(lease.name) AND holder = \(lease.holder) AND version = \(lease.version)
                  AND expires > \(now.timeIntervalSince1970)
                RETURNING version
                """, logger: self.logger)
            for try await v in rows.decode(Int64.self) { version = v }
            return version
        }
        return version.map { Lease(name: lease.name, holder: lease.holder, version: $0, expires: expires, duration: lease.duration) }
    }

    /// Expires the lease rather than deleting it, so the next holder's version stays above every
    /// version handed out before (fencing keeps working across release and re-acquire).
    public func releaseLease(_ lease: Lease) async throws {
        try await perform("releasing lease \(lease.name)") { c in
            _ = try await c.query(
                """
                UPDATE leases SET expires = 0
                WHERE name = \(lease.name) AND holder = \(lease.holder) AND version = \(lease.version)
                """, logger: self.logger)
        }
    }
}
