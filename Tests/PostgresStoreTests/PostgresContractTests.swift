import Foundation
import HeraldAPI
import Store
import StoreTesting
import Testing

/// Every PostgreSQL test is under this one serialized suite: the connection-loss tests stop the
/// shared server, which would fail whatever else ran at that moment.
// The time limit holds for each test: a PostgreSQL call that never answers fails the test
// instead of stalling the whole run.
@Suite(
    "PostgreSQL store", .serialized, .enabled(if: PostgresTestEnvironment.url != nil, PostgresTestEnvironment.disabledMessage),
    .timeLimit(.minutes(5)))
struct PostgresTests {}

extension PostgresTests {
    @Suite("Store contract on PostgreSQL")
    struct Contract {
        /// Each case on a fresh schema, with the small window the expiry case needs.
        @Test(arguments: StoreContract.cases.map(\.name))
        func contract(_ name: String) async throws {
            let run = try #require(StoreContract.cases.first { $0.name == name }?.run)
            try await PostgresTestEnvironment.withStore(window: StoreContract.smallWatchWindow) { store in
                try await run(store)
            }
        }

        @Test func reopenKeepsResourceVersionAndResumesFromTheLog() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                var a = Resource(StoreContract.notification("a").json)
                var b = a
                try await PostgresTestEnvironment.withStore(schema: schema) { first in
                    a = try await first.create(StoreContract.notification("a"))
                    b = try await first.create(StoreContract.notification("b"))
                }
                try await PostgresTestEnvironment.withStore(schema: schema, label: "reopened") { reopened in
                    #expect(try await reopened.currentResourceVersion() == b.resourceVersion)
                    #expect(try await reopened.create(StoreContract.notification("c")).resourceVersion == b.resourceVersion + 1)
                    // Unlike the embedded store, history from before the restart is still in the log.
                    let events = try await collect(try await reopened.watchAll(after: a.resourceVersion - 1), count: 3)
                    #expect(events.map(\.object.name) == ["a", "b", "c"])
                    #expect(events.map(\.resourceVersion) == [a.resourceVersion, b.resourceVersion, b.resourceVersion + 1])
                }
            }
        }

        @Test func migrationsAreIdempotentWhenStoresStartTogether() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                    for i in 0..<4 { group.addTask { try await PostgresTestEnvironment.makeStore(schema: schema, label: "m\(i)") } }
                    var all: [PostgresStore] = []
                    for try await s in group { all.append(s) }
                    return all
                }
                for s in stores { #expect(try await s.currentResourceVersion() == 0) }
                for s in stores { await s.shutdown() }
            }
        }

        @Test func compactionRemovesOldLogEntriesAndExpiresResumePoints() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                try await PostgresTestEnvironment.withStore(schema: schema, window: 5) { store in
                    let first = try await store.create(StoreContract.notification("c0"))
                    for i in 1..<10 { _ = try await store.create(StoreContract.notification("c\(i)")) }
                    try await store.compact()
                    // A second store (no history in memory) decides from the log alone.
                    try await PostgresTestEnvironment.withStore(schema: schema, window: 5, label: "other") { other in
                        await #expect(throws: StoreError.self) { _ = try await other.watchAll(after: first.resourceVersion) }
                        let recent = try await collect(try await other.watchAll(after: first.resourceVersion + 5), count: 4)
                        #expect(recent.map(\.object.name) == ["c6", "c7", "c8", "c9"])
                    }
                }
            }
        }
    }
}
