import Foundation
import HeraldAPI
import Store
import StoreTesting
import Testing

@Suite("Store contract on SQLite")
struct SQLiteContractTests {
    @Test(arguments: StoreContract.cases.map(\.name))
    func contract(_ name: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("s.sqlite").path, watchWindow: StoreContract.smallWatchWindow)
        let run = try #require(StoreContract.cases.first { $0.name == name }?.run)
        try await run(store)
    }

    @Test func reopenKeepsResourceVersion() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-reopen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.sqlite").path
        let rv: Int64
        do {
            let store = try SQLiteStore(path: path)
            rv = try await store.create(StoreContract.notification("a")).resourceVersion
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.currentResourceVersion() == rv)
        let next = try await reopened.create(StoreContract.notification("b"))
        #expect(next.resourceVersion == rv + 1)
        // History from before the restart is not in the window: resuming there must say so.
        await #expect(throws: StoreError.self) { _ = try await reopened.watchAll(after: rv - 1) }
    }
}
