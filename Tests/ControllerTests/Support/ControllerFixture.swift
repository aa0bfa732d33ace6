import Foundation
import HeraldAPI
import Store
import Testing

@testable import Controller

/// One controller flow scenario's world: a fresh SQLite store with a "log" Channel, a
/// controller running on a test broker, and the few steps scenarios repeat (notify ad-hoc
/// addresses with an inline message, change a Notification, wait for a state).
struct ControllerFixture {
    static let inline: JSON = ["subject": "Hello", "text": "Hello {{name}}"]

    let store: TestStore
    /// The broker `run` started the controller with.
    let broker: TestBroker

    /// Runs `body` with a controller on a fresh store (removed afterwards) whose "log" Channel
    /// has `channel` as its spec.
    static func run(
        broker: TestBroker = .delivering(), channel: JSON = ["type": "log"],
        configuration: Controller.Configuration = .soleReplica(), _ body: (ControllerFixture) async throws -> Void
    ) async throws {
        try await withStore(broker: broker, channel: channel) { f in
            try await f.controller(broker: broker, configuration: configuration) { try await body(f) }
        }
    }

    /// A fresh store with the "log" Channel and no controller yet, for scenarios that stop and
    /// start controllers themselves (`controller(broker:configuration:_:)`).
    static func withStore(
        broker: TestBroker = .delivering(), channel: JSON = ["type": "log"], _ body: (ControllerFixture) async throws -> Void
    ) async throws {
        let store = try TestStore()
        defer { store.remove() }
        try await store.create("Channel", "log", channel)
        try await body(ControllerFixture(store: store, broker: broker))
    }

    /// Runs a controller on this store until `body` returns.
    func controller(
        broker: TestBroker, configuration: Controller.Configuration = .soleReplica(), _ body: () async throws -> Void
    ) async throws {
        try await withController(store.store, broker: broker, configuration: configuration, body)
    }

    /// Creates a Notification with the inline message over the "log" Channel; `extra` adds to
    /// or replaces fields of its spec.
    @discardableResult
    func notify(_ name: String, to emails: [String] = ["a@x.io"], _ extra: JSON = [:]) async throws -> Resource {
        var spec: JSON = [
            "message": Self.inline, "channels": ["log"], "to": .array(emails.map { ["address": ["email": .string($0)]] }),
        ]
        for (key, value) in extra.objectValue ?? [:] { spec[key] = value }
        return try await store.create("Notification", name, spec)
    }

    /// Changes a Notification as a user's update would (spec, labels, annotations).
    func change(notification name: String, _ edit: @escaping @Sendable (inout Resource) -> Void) async throws {
        _ = try await store.store.guaranteedUpdate(ObjectKey(kind: "Notification", namespace: "default", name: name)) { current in
            var next = current
            edit(&next)
            return next
        }
    }

    func deliveries(of notification: String) async throws -> [Resource] {
        try await store.deliveries(of: notification)
    }

    @discardableResult
    func waitFor(
        _ kind: String, _ name: String, timeout: Double = 10, _ what: String = "",
        sourceLocation: SourceLocation = #_sourceLocation, _ check: (Resource?) -> Bool
    ) async throws -> Resource? {
        try await store.waitFor(kind, name, timeout: timeout, what, sourceLocation: sourceLocation, check)
    }

    func events() async throws -> [Resource] {
        try await store.store.list(kind: "Event", namespace: "default", options: ListOptions()).items
    }
}

extension Controller.Configuration {
    /// `fast()` with a long lease: a scenario runs one controller, and on a loaded machine (every
    /// suite starting at once) a 2 s lease can lapse between renewals, so the controller would
    /// lose leadership and start over mid-scenario. A stopped controller releases its lease, so
    /// the next one still starts at once.
    static func soleReplica() -> Controller.Configuration {
        var c = Controller.Configuration.fast()
        c.leaderElection.leaseDuration = 30
        c.leaderElection.renewPeriod = 5
        return c
    }
}
