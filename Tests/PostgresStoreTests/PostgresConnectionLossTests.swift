import Foundation
import HeraldAPI
import Store
import StoreTesting
import Testing

extension PostgresTests {
    /// PostgreSQL goes away under open watches: calls fail as unavailable meanwhile, and once it
    /// is back the watches continue from their last event without missing any.
    @Suite(
        "PostgreSQL restarts",
        .enabled(if: PostgresTestEnvironment.control != nil, "set HERALD_TEST_POSTGRES_CTL (scripts/postgres-start.sh exports it)"))
    struct ConnectionLoss {
        @Test func restartInTheMiddleOfOpenWatches() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                // The watcher and the writer are different servers, so events after the restart
                // can only reach the watcher through its (reconnected) LISTEN connection and the log.
                try await PostgresTestEnvironment.withStore(schema: schema, label: "watcher") { watcher in
                    try await PostgresTestEnvironment.withStore(schema: schema, label: "writer") { writer in
                        let start = try await watcher.currentResourceVersion()
                        let filtered = try await watcher.watch(kind: "Notification", namespace: "restart", options: .init(), after: start)
                        let all = try await watcher.watchAll(after: start)
                        for i in 0..<5 { _ = try await writer.create(StoreContract.notification("before\(i)", namespace: "restart")) }

                        try await PostgresTestEnvironment.control("restart")

                        // Recovers by itself: retry the first write until the pool reconnected.
                        _ = try await createEventually(writer, StoreContract.notification("after0", namespace: "restart"))
                        for i in 1..<5 { _ = try await writer.create(StoreContract.notification("after\(i)", namespace: "restart")) }

                        let expected = (0..<5).map { "before\($0)" } + (0..<5).map { "after\($0)" }
                        let seen = try await collect(filtered, count: 10, seconds: 30)
                        #expect(seen.map(\.object.name) == expected)
                        let seenAll = try await collect(all, count: 10, seconds: 30)
                        #expect(seenAll.map(\.resourceVersion) == Array((start + 1)...(start + 10)))
                    }
                }
            }
        }

        @Test func whileDownCallsAreUnavailableThenEverythingRecovers() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                try await PostgresTestEnvironment.withStore(schema: schema, label: "watcher") { watcher in
                    try await PostgresTestEnvironment.withStore(schema: schema, label: "writer") { writer in
                        let first = try await writer.create(StoreContract.notification("first", namespace: "down"))
                        let stream = try await watcher.watch(
                            kind: "Notification", namespace: "down", options: .init(), after: first.resourceVersion)

                        try await PostgresTestEnvironment.control("stop")
                        var restarted = false
                        do {
                            let began = Date()
                            await #expect(throws: StoreError.self) { try await watcher.ping() }
                            do {
                                _ = try await writer.create(StoreContract.notification("lost", namespace: "down"))
                                Issue.record("a create succeeded while PostgreSQL was stopped")
                            } catch let error as StoreError {
                                guard case .unavailable = error else {
                                    Issue.record("expected unavailable, got \(error)")
                                    throw error
                                }
                            }
                            do {
                                _ = try await watcher.list(kind: "Notification", namespace: "down", options: .init())
                                Issue.record("a list succeeded while PostgreSQL was stopped")
                            } catch StoreError.unavailable {}
                            // Three calls answered promptly: a short deadline while the listener is down,
                            // not the pool's minute of waiting for a connection.
                            #expect(Date().timeIntervalSince(began) < 6)
                            try await PostgresTestEnvironment.control("start")
                            restarted = true
                        } catch {
                            if !restarted { try? await PostgresTestEnvironment.control("start") }
                            throw error
                        }

                        try await eventually { try await watcher.ping() }
                        let second = try await createEventually(writer, StoreContract.notification("second", namespace: "down"))
                        let events = try await collect(stream, count: 1, seconds: 30)
                        #expect(events.map(\.object.name) == ["second"])
                        #expect(events.first?.resourceVersion == second.resourceVersion)
                        #expect(second.resourceVersion == first.resourceVersion + 1)
                    }
                }
            }
        }
    }
}
