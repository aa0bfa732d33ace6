import Foundation
import HeraldAPI
import Logging
import Store
import Synchronization
import Testing

@testable import Controller

/// A SQLite store in a temporary directory, and helpers to create objects and wait for states.
struct TestStore {
    let store: SQLiteStore
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "herald-ctrl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/herald.sqlite")
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func create(_ kind: String, _ name: String, _ spec: JSON, labels: [String: String] = [:], annotations: [String: String] = [:])
        async throws -> Resource
    {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: kind, namespace: "default", name: name)
        r.labels = labels
        r.annotations = annotations
        r.spec = spec
        return try await store.create(r)
    }

    func get(_ kind: String, _ name: String) async throws -> Resource {
        try await store.get(ObjectKey(kind: kind, namespace: "default", name: name))
    }

    func deliveries(of notification: String) async throws -> [Resource] {
        try await store.list(kind: "Delivery", namespace: "default", options: ListOptions()).items.filter {
            $0.spec?["notification"]?.stringValue == notification
        }
    }

    /// Polls until `check` holds for the object (or its absence), failing after `timeout`. The
    /// default is generous because the whole `swift test` run (server-backed suites, herald
    /// processes) shares a 2-core CI machine; a passing wait returns as soon as the check holds.
    @discardableResult
    func waitFor(
        _ kind: String, _ name: String, timeout: Double = 30, _ what: String = "",
        sourceLocation: SourceLocation = #_sourceLocation, _ check: (Resource?) -> Bool
    ) async throws -> Resource? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Resource?
        while Date() < deadline {
            do { last = try await get(kind, name) } catch StoreError.notFound { last = nil }
            if check(last) { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record(
            "timed out waiting for \(kind) \(name) \(what); last: \(last.map { "\($0.status ?? .null)" } ?? "absent")",
            sourceLocation: sourceLocation)
        return last
    }
}

extension Resource {
    var phase: String? { status?["phase"]?.stringValue }
    func conditionStatus(_ type: String) -> String? { condition(type)?["status"]?.stringValue }
}

/// Runs a controller until the body returns.
func withController<T>(
    _ store: any Store, broker: TestBroker, configuration: Controller.Configuration = .fast(), identity: String = "test",
    templateChecker: any TemplateChecker = DeclaredVariablesChecker(), _ body: () async throws -> T
) async throws -> T {
    var config = configuration
    config.leaderElection.identity = identity
    var logger = Logger(label: "test.controller")
    logger.logLevel = ProcessInfo.processInfo.environment["HERALD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    let controller = Controller(
        store: store, publisher: broker, results: broker, configuration: config, templateChecker: templateChecker,
        logger: logger)
    let task = Task { try await controller.run() }
    defer { task.cancel() }
    let result = try await body()
    task.cancel()
    _ = await task.result
    return result
}

extension Controller.Configuration {
    static func fast() -> Controller.Configuration {
        Controller.Configuration(
            queuedTimeout: 30, resyncPeriod: 600,
            // A 10 s lease: under a loaded full test run a 2 s one expired between renews, the
            // controller stepped down mid-test and TestBroker's results stream (ended by the
            // cancelled subscription) never delivered again. withController releases the lease
            // on exit, so the next controller still starts at once.
            leaderElection: LeaderElector.Configuration(leaseDuration: 10, renewPeriod: 0.5, retryPeriod: 0.2))
    }
}

/// A lock around a value, shareable between tasks (a local `Mutex` cannot be captured by two).
final class Locked<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
