import Foundation
import HeraldAPI
import PostgresNIO

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
        return try await writes.submit(StoreWrite(key: key, body: body))
    }

    /// One submission for the whole set: it commits with whatever else is queued, and the caller
    /// wakes once, when the last of them is decided.
    public func mutateAll(_ writes: [StoreWrite]) async -> [Result<MutationResult, any Error>] {
        do {
            try await awaitReady()
        } catch {
            return writes.map { _ in .failure(error) }
        }
        return await self.writes.submitAll(writes)
    }

    /// Commits one batch of queued writes in one transaction, and hands its events to this
    /// process's readers before any writer hears back.
    static func commit(
        _ batch: [StoreWrite], writer: PostgresWriteBatch, client: PostgresClient, feed: PostgresLogFeed,
        configuration: PostgresStoreConfiguration, on executor: any TaskExecutor
    ) async -> [Result<MutationResult, any Error>] {
        do {
            let outcome = try await withDeadline(timeout(configuration, feed: feed), "committing \(batch.count) writes", on: executor) {
                try await client.withConnection { c in
                    guard !c.isClosed else { throw StoreError.unavailable("the PostgreSQL connection closed") }
                    return try await writer.commit(c, batch)
                }
            }
            writer.recent.remember(outcome.events)
            feed.offer(outcome.events)
            return outcome.results
        } catch {
            // Whether or not it committed, the reader finds out from the log.
            feed.abandonCommit()
            let failure = PostgresFailure.storeError(error, while: "committing writes")
            return batch.map { _ in .failure(failure) }
        }
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

    public func lease(named name: String) async throws -> Lease? {
        try await perform("reading lease \(name)") { c in
            var lease: Lease?
            let rows = try await c.query(
                "SELECT holder, version, expires, duration FROM leases WHERE name = \(name)", logger: self.logger)
            for try await (holder, version, expires, duration) in rows.decode((String, Int64, Double, Double).self) {
                lease = Lease(
                    name: name, holder: holder, version: version, expires: Date(timeIntervalSince1970: expires),
                    duration: duration)
            }
            return lease
        }
    }
}
