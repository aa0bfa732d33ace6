import Foundation
import HeraldAPI
import Logging
import Store
import StoreTesting
import Synchronization
import Testing

/// A store that is unreachable until `up()`, as PostgreSQL is when Herald starts before it.
final class FlakyStore: Store {
    let base: any Store
    private let state = Mutex((down: true, refused: 0))

    init(_ base: any Store) {
        self.base = base
    }

    func up() { state.withLock { $0.down = false } }
    var refused: Int { state.withLock { $0.refused } }

    private func check() throws {
        let down = state.withLock { s -> Bool in
            if s.down { s.refused += 1 }
            return s.down
        }
        if down { throw StoreError.unavailable("PostgreSQL is not up yet") }
    }

    func currentResourceVersion() async throws -> Int64 {
        try check()
        return try await base.currentResourceVersion()
    }

    var kinds: KindRegistry { base.kinds }
    func get(_ key: ObjectKey) async throws -> Resource { try await base.get(key) }
    func list(kind: String, namespace: String?, options: ListOptions) async throws -> ResourceList {
        try await base.list(kind: kind, namespace: namespace, options: options)
    }
    func watchAll(after resourceVersion: Int64, prefix: [StoreEvent], filter: WatchHub.Filter?) async throws
        -> AsyncThrowingStream<StoreEvent, any Error>
    {
        try check()
        return try await base.watchAll(after: resourceVersion, prefix: prefix, filter: filter)
    }
    func mutate(_ key: ObjectKey, dryRun: Bool, _ body: @escaping @Sendable (Resource?) throws -> Mutation) async throws
        -> MutationResult
    { try await base.mutate(key, dryRun: dryRun, body) }
    func orphanedDependents(limit: Int) async throws -> [ObjectKey] {
        try check()
        return try await base.orphanedDependents(limit: limit)
    }
    func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date) async throws -> Lease? {
        try await base.acquireLease(name, holder: holder, duration: duration, now: now)
    }
    func renewLease(_ lease: Lease, now: Date) async throws -> Lease? { try await base.renewLease(lease, now: now) }
    func releaseLease(_ lease: Lease) async throws { try await base.releaseLease(lease) }
    func lease(named name: String) async throws -> Lease? { try await base.lease(named: name) }
    func ping() async throws { try await base.ping() }
}

@Suite("Garbage collector")
struct GarbageCollectorTests {
    /// The store is down when the collector starts: it keeps trying instead of ending (which
    /// would stop the whole server's ServiceGroup), then deletes what the owner left behind.
    @Test(.timeLimit(.minutes(1)))
    func survivesAStoreThatIsDownAtStart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-gc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = try SQLiteStore(path: dir.appendingPathComponent("s.sqlite").path)
        let store = FlakyStore(sqlite)
        let owner = try await sqlite.create(StoreContract.notification("owner"))
        let dependent = try await sqlite.create(StoreContract.delivery("dep", notification: "owner", owner: owner))

        let collector = Task { try await GarbageCollector(store: store, logger: Logger(label: "test")).run() }
        defer { collector.cancel() }
        _ = try await sqlite.delete(owner.key)
        for _ in 0..<100 where store.refused < 2 { try await Task.sleep(for: .milliseconds(20)) }
        store.up()

        var gone = false
        for _ in 0..<100 where !gone {
            do {
                _ = try await sqlite.get(dependent.key)
                try await Task.sleep(for: .milliseconds(50))
            } catch StoreError.notFound {
                gone = true
            }
        }
        #expect(gone, "the owned Delivery was not collected after the store came back")
        #expect(store.refused >= 2)
    }
}
