import Foundation
import GRDB
import HeraldAPI
import NIOCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode. Reads run concurrently on GRDB's reader pool;
/// writes are group-committed (every write waiting when a transaction starts joins it), so one
/// fsync covers many API requests.
public final class SQLiteStore: Store {
    public let kinds: KindRegistry
    let pool: DatabasePool
    let hub: WatchHub
    /// Writes arriving while a transaction runs wait and commit together in the next one.
    let writes: GroupCommit<StoreWrite, MutationResult>

    /// How commits reach the disk.
    public enum Durability: String, Sendable {
        /// fsync on every commit (group-committed, so shared by concurrent writes): survives power loss.
        case full
        /// WAL without fsync on commit: survives a process crash, may lose the newest commits on power loss.
        case normal
    }

    /// Opens (creating if needed) the store at `path`.
    /// - Parameter watchWindow: events kept for resuming watches; older resume points get 410 Gone.
    public init(path: String, kinds: KindRegistry = .herald, watchWindow: Int = 50_000, durability: Durability = .full) throws {
        self.kinds = kinds
        var config = Configuration()
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        config.maximumReaderCount = 8
        pool = try DatabasePool(path: path, configuration: config)
        try SQLiteSchema.migrator().migrate(pool)
        let rv = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'rv'") ?? 0 }
        let hub = WatchHub(startingAt: rv, capacity: watchWindow)
        self.hub = hub
        writes = GroupCommit { [pool] batch in await Self.commit(batch, in: pool, publishingTo: hub) }
    }

    deinit {
        hub.finishAll()
    }

    // MARK: reads

    public func get(_ key: ObjectKey) async throws -> Resource {
        let found = try await pool.read { db in try Self.load(db, key) }
        guard let found else { throw StoreError.notFound(key) }
        return found
    }

    public func currentResourceVersion() async throws -> Int64 {
        try await pool.read { db in try Self.readRV(db) }
    }

    public func list(kind: String, namespace: String?, options: ListOptions) async throws -> ResourceList {
        let definition = kinds.kind(kind)
        let start = try options.continueToken.map(ContinueToken.init(decoding:))
        return try await pool.read { db in
            let rv = try Self.readRV(db)
            var sql = "SELECT body FROM objects WHERE kind = ?"
            var args: [any DatabaseValueConvertible] = [kind]
            if let ns = namespace ?? options.fieldSelector.pinnedNamespace {
                sql += " AND namespace = ?"
                args.append(ns)
            }
            if let name = options.fieldSelector.pinnedName {
                sql += " AND name = ?"
                args.append(name)
            }
            if let start {
                sql += " AND (namespace > ? OR (namespace = ? AND name > ?))"
                args.append(contentsOf: [start.namespace, start.namespace, start.name])
            }
            sql += " ORDER BY namespace, name"
            let limit = options.limit.flatMap { $0 > 0 ? $0 : nil }
            var items: [Resource] = []
            var more = false
            let cursor = try Data.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
            while let body = try cursor.next() {
                let object = try Self.decode(body)
                if !options.labelSelector.isEmpty && !options.labelSelector.matches(labelsOf: object) { continue }
                if !options.fieldSelector.isEmpty {
                    guard let definition, options.fieldSelector.matches({ definition.fieldValue(object, $0) }) else {
                        continue
                    }
                }
                if let limit, items.count == limit {
                    more = true
                    break
                }
                items.append(object)
            }
            var token: String?
            if more, let last = items.last {
                token = ContinueToken(resourceVersion: rv, namespace: last.namespace, name: last.name).encoded
            }
            return ResourceList(items: items, resourceVersion: rv, continueToken: token)
        }
    }

    public func watchAll(after resourceVersion: Int64, prefix: [StoreEvent], filter: WatchHub.Filter?) async throws
        -> AsyncThrowingStream<StoreEvent, any Error>
    {
        try hub.subscribe(after: resourceVersion, prefix: prefix, filter: filter)
    }

    public func orphanedDependents(limit: Int) async throws -> [ObjectKey] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT d.kind, d.namespace, d.name FROM owners d
                    GROUP BY d.kind, d.namespace, d.name
                    HAVING SUM(EXISTS (SELECT 1 FROM objects p WHERE p.uid = d.owner_uid)) = 0
                    LIMIT ?
                    """, arguments: [limit])
            return rows.map { ObjectKey(kind: $0["kind"], namespace: $0["namespace"], name: $0["name"]) }
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: writes

    public func mutate(_ key: ObjectKey, dryRun: Bool, _ body: @escaping @Sendable (Resource?) throws -> Mutation) async throws
        -> MutationResult
    {
        if dryRun {
            let current = try await pool.read { db in try Self.load(db, key) }
            return try Self.dryRunResult(current: current, mutation: body(current))
        }
        return try await writes.submit(StoreWrite(key: key, body: body))
    }

    public func mutateAll(_ writes: [StoreWrite]) async -> [Result<MutationResult, any Error>] {
        await self.writes.submitAll(writes)
    }

    static func dryRunResult(current: Resource?, mutation: Mutation) throws -> MutationResult {
        switch mutation {
        case .unchanged:
            guard let current else { throw StoreError.unavailable("a write decided nothing for a missing object") }
            return MutationResult(object: current, changed: false, removed: false)
        case .put(var object):
            if let current { object.resourceVersion = current.resourceVersion } else { object.json["metadata"]?["resourceVersion"] = nil }
            return MutationResult(object: object, changed: true, removed: false, created: current == nil)
        case .remove(let object):
            return MutationResult(object: object, changed: true, removed: true)
        }
    }

    /// Commits a batch and publishes its events before any writer hears back.
    static func commit(_ batch: [StoreWrite], in pool: DatabasePool, publishingTo hub: WatchHub) async
        -> [Result<MutationResult, any Error>]
    {
        do {
            let (results, events) = try await pool.write { db in try Self.commit(db, batch) }
            hub.publish(events)
            return results
        } catch {
            return batch.map { _ in .failure(StoreError.unavailable(String(describing: error))) }
        }
    }

    /// Runs a batch of decisions in one transaction; a decision that throws fails alone.
    static func commit(_ db: Database, _ batch: [StoreWrite]) throws -> ([Result<MutationResult, any Error>], [StoreEvent]) {
        var rv = try readRV(db)
        let startRV = rv
        var results: [Result<MutationResult, any Error>] = []
        var events: [StoreEvent] = []
        results.reserveCapacity(batch.count)
        for item in batch {
            let current: Resource?
            let mutation: Mutation
            do {
                current = try load(db, item.key)
                mutation = try item.body(current)
            } catch {
                results.append(.failure(error))
                continue
            }
            switch mutation {
            case .unchanged:
                if let current {
                    results.append(.success(MutationResult(object: current, changed: false, removed: false)))
                } else {
                    results.append(.failure(StoreError.notFound(item.key)))
                }
            case .put(var object):
                rv += 1
                object.resourceVersion = rv
                let body = try save(db, object, replacing: current != nil)
                // The bytes just stored go with the event, so a watch sends them without encoding again.
                events.append(
                    StoreEvent(
                        type: current == nil ? .added : .modified, object: object, previous: current, resourceVersion: rv,
                        serializedObject: ByteBuffer(bytes: body)))
                results.append(.success(MutationResult(object: object, changed: true, removed: false, created: current == nil)))
            case .remove(var object):
                rv += 1
                object.resourceVersion = rv
                try db.cachedStatement(sql: "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?")
                    .execute(arguments: [item.key.kind, item.key.namespace, item.key.name])
                try db.cachedStatement(sql: "DELETE FROM owners WHERE kind = ? AND namespace = ? AND name = ?")
                    .execute(arguments: [item.key.kind, item.key.namespace, item.key.name])
                events.append(StoreEvent(type: .deleted, object: object, previous: current, resourceVersion: rv))
                results.append(.success(MutationResult(object: object, changed: true, removed: true)))
            }
        }
        if rv != startRV {
            try db.cachedStatement(sql: "UPDATE meta SET value = ? WHERE key = 'rv'").execute(arguments: [rv])
        }
        return (results, events)
    }

    /// Returns the stored body.
    static func save(_ db: Database, _ object: Resource, replacing: Bool) throws -> [UInt8] {
        let body = object.json.serialized()
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO objects (kind, namespace, name, uid, rv, body) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [object.kind, object.namespace, object.name, object.uid, object.resourceVersion, Data(body)])
        let owners = object.ownerReferences
        if replacing || !owners.isEmpty {
            try db.cachedStatement(sql: "DELETE FROM owners WHERE kind = ? AND namespace = ? AND name = ?")
                .execute(arguments: [object.kind, object.namespace, object.name])
        }
        for owner in owners {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO owners (owner_uid, kind, namespace, name) VALUES (?, ?, ?, ?)")
                .execute(arguments: [owner.uid, object.kind, object.namespace, object.name])
        }
        return body
    }

    static func load(_ db: Database, _ key: ObjectKey) throws -> Resource? {
        let body = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT body FROM objects WHERE kind = ? AND namespace = ? AND name = ?"),
            arguments: [key.kind, key.namespace, key.name])
        return try body.map(decode)
    }

    static func readRV(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'rv'")) ?? 0
    }

    static func decode(_ body: Data) throws -> Resource {
        do {
            return Resource(try JSON.parse(body))
        } catch {
            throw StoreError.unavailable("a stored object is corrupt: \(error)")
        }
    }

    // MARK: leases

    public func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date) async throws -> Lease? {
        try await pool.write { db in
            let stored = try Self.storedLease(db, name)
            if let stored, stored.holder != holder && stored.expires > now { return nil }
            let lease = Lease(
                name: name, holder: holder, version: (stored?.version ?? 0) + 1, expires: now.addingTimeInterval(duration),
                duration: duration)
            try db.execute(
                sql: "INSERT OR REPLACE INTO leases (name, holder, version, expires, duration) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, holder, lease.version, lease.expires.timeIntervalSince1970, duration])
            return lease
        }
    }

    public func renewLease(_ lease: Lease, now: Date) async throws -> Lease? {
        try await pool.write { db in
            guard let stored = try Self.storedLease(db, lease.name), stored.holder == lease.holder,
                stored.version == lease.version, stored.expires > now
            else { return nil }
            var next = lease
            next.version += 1
            next.expires = now.addingTimeInterval(lease.duration)
            try db.execute(
                sql: "UPDATE leases SET version = ?, expires = ? WHERE name = ?",
                arguments: [next.version, next.expires.timeIntervalSince1970, lease.name])
            return next
        }
    }

    public func releaseLease(_ lease: Lease) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM leases WHERE name = ? AND holder = ? AND version = ?",
                arguments: [lease.name, lease.holder, lease.version])
        }
    }

    public func lease(named name: String) async throws -> Lease? {
        try await pool.read { db in try Self.storedLease(db, name) }
    }

    private static func storedLease(_ db: Database, _ name: String) throws -> Lease? {
        try Row.fetchOne(db, sql: "SELECT holder, version, expires, duration FROM leases WHERE name = ?", arguments: [name])
            .map { row in
                Lease(
                    name: name, holder: row["holder"], version: row["version"],
                    expires: Date(timeIntervalSince1970: row["expires"]), duration: row["duration"])
            }
    }
}
