import HeraldAPI
import Logging
import PostgresNIO

/// One group commit: every decision in the batch is read, decided and written in one transaction
/// of five round trips, whatever the batch size (BEGIN, lock the revision row, load the objects,
/// one prepared statement writing log + objects + owners + revision + NOTIFY, COMMIT).
struct PostgresWriteBatch {
    struct Outcome: Sendable {
        var results: [Result<MutationResult, any Error>]
        var events: [StoreEvent]
    }

    let kinds: KindRegistry
    let channel: String
    let recent: RecentObjects
    /// Told which rvs are about to commit, so this process's log reader waits for them instead of
    /// fetching them back (the NOTIFY can reach it before COMMIT's answer reaches us).
    let feed: PostgresLogFeed
    let logger: Logger

    func commit(_ c: PostgresConnection, _ batch: [StoreWrite]) async throws -> Outcome {
        try await c.query("BEGIN", logger: logger)
        do {
            let outcome = try await decideAndWrite(c, batch)
            feed.committing(outcome.events)
            try await c.query("COMMIT", logger: logger)
            return outcome
        } catch {
            // A broken connection cannot roll back; the server aborts the transaction when it goes.
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    private func decideAndWrite(_ c: PostgresConnection, _ batch: [StoreWrite]) async throws -> Outcome {
        // Locking the revision row serializes writers across processes: rvs are handed out in
        // commit order, and reads below see every transaction committed before ours.
        //
        // The same round trip makes the rest of this transaction use generic plans. PostgreSQL
        // otherwise planned the prepared group-commit statement again for nearly every batch (a
        // custom plan looks cheaper once it sees the arrays' lengths): 0.6 ms per commit, a tenth
        // of the writing backend's time. Its generic plan joins the log rows it returns by hash and
        // reaches objects and owners (deletes, owner changes) through their indexes; it is made
        // again whenever ANALYZE updates a table it uses. The objects load, not prepared, is still
        // planned for each batch, now generically: probes of the primary key whatever the table's
        // size (checked at 1,000 to 50,000 rows), as its custom plan did on a grown table.
        var rv: Int64 = 0
        for try await (value, _) in try await c.query(
            "SELECT rv, set_config('plan_cache_mode', 'force_generic_plan', true) FROM revision FOR UPDATE", logger: logger
        ).decode((Int64, String).self) {
            rv = value
        }
        let loaded = try await load(c, keys: batch.map(\.key))
        var current = loaded
        var touched: [ObjectKey] = []
        var touchedSet = Set<ObjectKey>()
        var outcome = Outcome(results: [], events: [])
        outcome.results.reserveCapacity(batch.count)
        for item in batch {
            let before = current[item.key]
            let mutation: Mutation
            do {
                mutation = try item.body(before)
            } catch {
                outcome.results.append(.failure(error))
                continue
            }
            switch mutation {
            case .unchanged:
                if let before {
                    outcome.results.append(.success(MutationResult(object: before, changed: false, removed: false)))
                } else {
                    outcome.results.append(.failure(StoreError.notFound(item.key)))
                }
                continue
            case .put(var object):
                rv += 1
                object.resourceVersion = rv
                current[item.key] = object
                outcome.events.append(
                    StoreEvent(
                        type: before == nil ? .added : .modified, object: object, previous: before, resourceVersion: rv,
                        serializedObject: PostgresRows.body(object)))
                outcome.results.append(.success(MutationResult(object: object, changed: true, removed: false, created: before == nil)))
            case .remove(var object):
                rv += 1
                object.resourceVersion = rv
                current[item.key] = nil
                outcome.events.append(
                    StoreEvent(
                        type: .deleted, object: object, previous: before, resourceVersion: rv,
                        serializedObject: PostgresRows.body(object)))
                outcome.results.append(.success(MutationResult(object: object, changed: true, removed: true)))
            }
            if touchedSet.insert(item.key).inserted { touched.append(item.key) }
        }
        if !outcome.events.isEmpty {
            try await write(
                c, events: outcome.events, touched: touched, loaded: loaded, current: current, rv: rv)
        }
        return outcome
    }

    /// The stored objects. A body is sent only when this process does not already hold that
    /// version of the object (`RecentObjects`): a status write usually follows this process's own
    /// write of the same object a moment before. The copies cannot change meanwhile: only the store's one
    /// flush loop remembers writes, after each commit.
    ///
    /// Planned for each batch, unlike the write: a prepared generic plan made while `objects` is
    /// still small hash-joins over a sequential scan of it long after it has grown (2.3 million
    /// rows read by sequential scans in one benchmark run, against about 21,000 unprepared).
    private func load(_ c: PostgresConnection, keys: [ObjectKey]) async throws -> [ObjectKey: Resource] {
        let unique = Array(Set(keys))
        let held = unique.map { recent.latest($0)?.resourceVersion ?? 0 }
        let rows = try await c.query(
            """
            SELECT o.kind, o.namespace, o.name, o.rv, CASE WHEN o.rv = t.held THEN NULL ELSE o.body END FROM objects o
            JOIN unnest(\(unique.map(\.kind)), \(unique.map(\.namespace)), \(unique.map(\.name)), \(held))
              AS t(kind, namespace, name, held)
              ON o.kind = t.kind AND o.namespace = t.namespace AND o.name = t.name
            """, logger: logger)
        var found: [ObjectKey: Resource] = [:]
        for try await row in rows {
            var cells = PostgresCellReader(row)
            let key = ObjectKey(kind: try cells.next(), namespace: try cells.next(), name: try cells.next())
            let rv: Int64 = try cells.next()
            let body: ByteBuffer? = try cells.next()
            if let body {
                found[key] = try PostgresRows.decode(body)
            } else if let object = recent.object(key, at: rv) {
                found[key] = object
            } else {
                throw StoreError.unavailable("PostgreSQL left out the body of \(key) at \(rv) though this process does not hold it")
            }
        }
        return found
    }

    private func write(
        _ c: PostgresConnection, events: [StoreEvent], touched: [ObjectKey], loaded: [ObjectKey: Resource],
        current: [ObjectKey: Resource], rv: Int64
    ) async throws {
        let empty = ByteBuffer()
        var statement = PostgresGroupCommitStatement(rv: rv, channel: channel)
        // Each object's body goes to the log, to objects and to watchers (in its event): it is
        // serialized once, when the event is made, and sent to PostgreSQL once, in the log rows.
        for e in events {
            statement.log.rv.append(e.resourceVersion)
            statement.log.type.append(e.type.rawValue)
            statement.log.keys.append(e.key)
            statement.log.body.append(e.serializedObject ?? PostgresRows.body(e.object))
            // Only selectors read the previous state, and only what they read is kept.
            if let previous = e.previous {
                statement.log.previous.append(
                    PostgresRows.selectorsReadAlike(previous, e.object, kinds: kinds)
                        ? PostgresRows.sameSelectorState : PostgresRows.selectorState(previous, kinds: kinds))
            } else {
                statement.log.previous.append(empty)
            }
        }
        for key in touched {
            // Most writes (every status write) keep the owners as they were: compare the stored
            // JSON before decoding references.
            let oldReferences = loaded[key]?.metadata["ownerReferences"]
            let newReferences = current[key]?.metadata["ownerReferences"]
            if oldReferences != newReferences {
                let oldOwners = Set((loaded[key]?.ownerReferences ?? []).map(\.uid))
                let newOwners = Set((current[key]?.ownerReferences ?? []).map(\.uid))
                for uid in oldOwners.subtracting(newOwners).sorted() { statement.ownersGone.append(owner: uid, of: key) }
                for uid in newOwners.subtracting(oldOwners).sorted() { statement.ownersNew.append(owner: uid, of: key) }
            }
            if let object = current[key] {
                statement.puts.keys.append(key)
                statement.puts.uid.append(object.uid)
                statement.puts.rv.append(object.resourceVersion)
                statement.puts.labels.append(PostgresRows.labelsJSON(object))
                statement.puts.fields.append(PostgresRows.fieldsJSON(object, kinds: kinds))
            } else if loaded[key] != nil {
                statement.gone.append(key)
            }
        }
        // One row (pg_notify's); read to the end so the connection is free for COMMIT.
        for try await _ in try await c.execute(statement, logger: logger) {}
    }
}
