import Foundation
import HeraldAPI
import Store
import StoreTesting
import Testing

extension PostgresTests {
    /// A process keeps only the newest events in memory; resume points further back, but still
    /// in the log's window, are replayed from PostgreSQL, and those past it get 410.
    @Suite("Watch windows in memory and in the log")
    struct WatchWindows {
        @Test func aResumePointOlderThanMemoryIsReplayedFromTheLog() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                let store = try await PostgresTestEnvironment.makeStore(schema: schema, window: 1000, memoryWindow: 5)
                do {
                    let start = try await store.currentResourceVersion()
                    var versions: [Int64] = []
                    for i in 0..<20 {
                        versions.append(try await store.create(StoreContract.notification("w\(i)", namespace: "window")).resourceVersion)
                    }
                    // 20 events, 5 in memory: from the start, 15 come from the log, then the hub's.
                    let all = try await collect(try await store.watchAll(after: start), count: 20)
                    #expect(all.map(\.resourceVersion) == versions)
                    #expect(all.map(\.object.name) == (0..<20).map { "w\($0)" })
                    let recent = try await collect(try await store.watchAll(after: versions[16]), count: 3)
                    #expect(recent.map(\.resourceVersion) == Array(versions[17...]))
                } catch {
                    await store.shutdown()
                    throw error
                }
                await store.shutdown()
            }
        }

        @Test func aResumePointOlderThanTheLogsWindowIsGone() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                let store = try await PostgresTestEnvironment.makeStore(schema: schema, window: 10, memoryWindow: 5)
                do {
                    let start = try await store.currentResourceVersion()
                    for i in 0..<20 {
                        _ = try await store.create(StoreContract.notification("g\(i)", namespace: "window"))
                    }
                    let error = await #expect(throws: StoreError.self) { _ = try await store.watchAll(after: start) }
                    if case .expired? = error {} else { Issue.record("expected 410 Gone (expired), got \(String(describing: error))") }
                } catch {
                    await store.shutdown()
                    throw error
                }
                await store.shutdown()
            }
        }
    }
}
