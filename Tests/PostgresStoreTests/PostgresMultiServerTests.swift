import Foundation
import HeraldAPI
import Store
import StoreTesting
import Testing

extension PostgresTests {
    /// Two stores with their own pools on one database behave as two API servers.
    @Suite("Several API servers on one database")
    struct MultiServer {
        @Test func writeThroughAWatchThroughB() async throws {
            try await PostgresTestEnvironment.withTwoServers { schema, a, b in
                let start = try await b.currentResourceVersion()
                let stream = try await b.watch(kind: "Notification", namespace: "multi", options: .init(), after: start)
                var x = try await a.create(StoreContract.notification("x", namespace: "multi"))
                x.labels = ["step": "2"]
                x = try await a.update(x)
                let removed = try await a.delete(x.key)
                let seen = try await collect(stream, count: 3)
                #expect(seen.map(\.type) == [.added, .modified, .deleted])
                #expect(seen.map(\.resourceVersion) == [x.resourceVersion - 1, x.resourceVersion, removed.object.resourceVersion])
                await #expect(throws: StoreError.notFound(x.key)) { _ = try await b.get(x.key) }

                // A third server started afterwards resumes from the same point out of the log.
                try await PostgresTestEnvironment.withStore(schema: schema, label: "c") { c in
                    let replay = try await collect(try await c.watchAll(after: start), count: 3)
                    #expect(replay.map(\.resourceVersion) == seen.map(\.resourceVersion))
                    #expect(replay.map(\.type) == [.added, .modified, .deleted])
                }
            }
        }

        /// The log keeps of a change's previous state only what selectors read, and only a
        /// marker when selectors read the same from the object itself; selector watches fed from
        /// the log must still tell staying, leaving and joining apart.
        @Test func selectorWatchesFollowTheLogWithoutPreviousCopies() async throws {
            try await PostgresTestEnvironment.withTwoServers { schema, a, b in
                let start = try await b.currentResourceVersion()
                let gold = ListOptions(labelSelector: try LabelSelector(parsing: "tier=gold"))
                let stream = try await b.watch(kind: "Notification", namespace: "sel", options: gold, after: start)
                var x = StoreContract.notification("x", namespace: "sel")
                x.labels = ["tier": "gold"]
                x = try await a.create(x)
                let statusWrite = try await setPhase(a, x.key, "Delivering")
                var annotated = statusWrite
                annotated.annotations["note"] = "labels and selectable fields as they were"
                annotated = try await a.update(annotated)
                var silver = annotated
                silver.labels = ["tier": "silver"]
                silver = try await a.update(silver)
                var back = silver
                back.labels = ["tier": "gold"]
                back = try await a.update(back)
                let expected: [StoreEventType] = [.added, .modified, .modified, .deleted, .added]
                let seen = try await collect(stream, count: 5)
                #expect(seen.map(\.type) == expected)
                #expect(seen.map(\.resourceVersion) == [x, statusWrite, annotated, silver, back].map(\.resourceVersion))

                // Each change keeps what selectors read of the state before it, not a copy.
                let stored = try await PostgresTestEnvironment.logPrevious(
                    schema: schema, rvs: statusWrite.resourceVersion...back.resourceVersion)
                #expect(stored.count == 4)
                #expect(stored[annotated.resourceVersion] == "=")
                var previous: [Int64: JSON] = [:]
                for (rv, text) in stored where rv != annotated.resourceVersion {
                    previous[rv] = try JSON.parse(Array(text.utf8))
                }
                for state in previous.values {
                    let specFields = Set(state["spec"]?.objectValue?.keys.map { $0 } ?? [])
                    #expect(specFields.isSubset(of: ["templateRef"]))
                    #expect(state["metadata"]?["name"] == "x")
                }
                #expect(previous[statusWrite.resourceVersion]?["status"] == nil)
                #expect(previous[silver.resourceVersion]?["status"]?["phase"] == "Delivering")
                #expect(previous[silver.resourceVersion]?["metadata"]?["labels"]?["tier"] == "gold")
                #expect(previous[back.resourceVersion]?["metadata"]?["labels"]?["tier"] == "silver")

                // Replayed from the log by a server started afterwards: the same decisions.
                try await PostgresTestEnvironment.withStore(schema: schema, label: "c") { c in
                    let replay = try await collect(
                        try await c.watch(kind: "Notification", namespace: "sel", options: gold, after: start), count: 5)
                    #expect(replay.map(\.type) == expected)
                }
            }
        }

        /// A server that wrote an object keeps its copy; when another server changed the object
        /// since, the next write there must start from the stored state, not from that copy.
        @Test func aWriteStartsFromTheStoredStateAfterAnotherServersChange() async throws {
            try await PostgresTestEnvironment.withTwoServers { schema, a, b in
                let x = try await a.create(StoreContract.notification("x", namespace: "held"))
                var relabeled = try await b.get(x.key)
                relabeled.labels = ["by": "b"]
                relabeled = try await b.update(relabeled)
                let first = try await setPhase(a, x.key, "Delivering")
                #expect(first.labels == ["by": "b"])
                #expect(first.resourceVersion > relabeled.resourceVersion)
                // And from its own copy when nobody else wrote in between.
                let second = try await a.guaranteedUpdate(x.key, target: .status) { current in
                    #expect(current == first)
                    var next = current
                    next.status = ["phase": "Delivered"]
                    return next
                }.object
                #expect(try await b.get(x.key) == second)
            }
        }

        @Test func concurrentWritersOnTwoServersShareOneOrder() async throws {
            try await PostgresTestEnvironment.withTwoServers { schema, a, b in
                let start = try await a.currentResourceVersion()
                let onA = try await a.watchAll(after: start)
                let onB = try await b.watchAll(after: start)
                let count = 200
                let versions = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for i in 0..<count {
                        let server: PostgresStore = i % 2 == 0 ? a : b
                        group.addTask { try await server.create(StoreContract.notification("n\(i)", namespace: "conc")).resourceVersion }
                    }
                    var all: [Int64] = []
                    for try await v in group { all.append(v) }
                    return all.sorted()
                }
                // No gaps and no duplicates: every rv from start+1 was handed out exactly once.
                #expect(versions == Array((start + 1)...(start + Int64(count))))
                let seenA = try await collect(onA, count: count)
                let seenB = try await collect(onB, count: count)
                #expect(seenA.map(\.resourceVersion) == versions)
                #expect(seenB.map(\.resourceVersion) == versions)
            }
        }

        /// A server's own commits reach its watches as written: its log reader fetches only the
        /// other server's rows (it used to fetch its own back when PostgreSQL's NOTIFY came first).
        @Test func aServerReadsOnlyOtherServersCommitsFromTheLog() async throws {
            try await PostgresTestEnvironment.withTwoServers { _, a, b in
                let start = try await a.currentResourceVersion()
                let readBefore = a.logRowsRead
                let onA = try await a.watchAll(after: start)
                let rounds = 20
                for i in 0..<rounds {
                    _ = try await a.create(StoreContract.notification("mine-\(i)", namespace: "own"))
                    _ = try await b.create(StoreContract.notification("theirs-\(i)", namespace: "own"))
                    var mine = try await a.get(ObjectKey(kind: "Notification", namespace: "own", name: "mine-\(i)"))
                    mine.labels = ["round": "\(i)"]
                    _ = try await a.update(mine)
                }
                let seen = try await collect(onA, count: 3 * rounds)
                #expect(seen.map(\.resourceVersion) == Array((start + 1)...(start + Int64(3 * rounds))))
                #expect(a.logRowsRead - readBefore == rounds)
            }
        }

        @Test func selectorsAndPaginationRunInSQL() async throws {
            try await PostgresTestEnvironment.withStore { store in
                for i in 0..<30 {
                    _ = try await store.create(
                        StoreContract.notification(
                            String(format: "p%02d", i), namespace: "sql",
                            labels: ["parity": i % 2 == 0 ? "even" : "odd", "tier": "t\(i % 3)"]))
                }
                var names: [String] = []
                var token: String?
                repeat {
                    let page = try await store.list(
                        kind: "Notification", namespace: "sql",
                        options: .init(
                            labelSelector: try LabelSelector(parsing: "parity=even,tier in (t0,t1)"), limit: 4, continueToken: token))
                    #expect(page.items.count <= 4)
                    names += page.items.map(\.name)
                    token = page.continueToken
                } while token != nil
                let expected = (0..<30).filter { $0 % 2 == 0 && $0 % 3 != 2 }.map { String(format: "p%02d", $0) }
                #expect(names == expected)
                let byName = try await store.list(
                    kind: "Notification", namespace: nil,
                    options: .init(
                        fieldSelector: try FieldSelector(parsing: "metadata.name=p07")))
                #expect(byName.items.map(\.namespace) == ["sql"])
                let notOdd = try await store.list(
                    kind: "Notification", namespace: "sql",
                    options: .init(
                        labelSelector: try LabelSelector(parsing: "parity notin (odd),!missing")))
                #expect(notOdd.items.count == 15)
            }
        }
    }
}

/// Writes `status.phase` through the status subresource.
private func setPhase(_ store: some Store, _ key: ObjectKey, _ phase: String) async throws -> Resource {
    try await store.guaranteedUpdate(key, target: .status) { current in
        var next = current
        next.status = ["phase": .string(phase)]
        return next
    }.object
}
