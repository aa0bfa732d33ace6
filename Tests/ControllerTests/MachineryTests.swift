import Foundation
import HeraldAPI
import Logging
import Store
import Synchronization
import Testing

@testable import Controller

@Suite(.serialized) struct InformerTests {
    /// Events before the earliest wait pass the waiters by; each wait ends at its own version.
    @Test func waitsEndInResourceVersionOrder() {
        var s = Informer.State()
        let five = s.addWaiter(for: 5)
        let ten = s.addWaiter(for: 10)
        #expect(s.advance(to: 3).isEmpty && s.earliestWait == 5)
        _ = s.advance(to: 7)
        #expect(s.waiters[five]?.slot.isSettled == true)
        #expect(s.waiters[ten]?.slot.isSettled == false)
        #expect(s.earliestWait == 10)
        _ = s.advance(to: 9)
        #expect(s.waiters[ten]?.slot.isSettled == false)
        let twelve = s.addWaiter(for: 12)
        _ = s.advance(to: 10)
        #expect(s.waiters[ten]?.slot.isSettled == true)
        #expect(s.waiters[twelve]?.slot.isSettled == false)
        #expect(s.earliestWait == 12)
    }

    @Test func listsWatchesAndIndexes() async throws {
        let t = try TestStore()
        defer { t.remove() }
        try await t.create("Channel", "a", ["type": "log"])
        let informer = Informer(
            store: t.store, kind: "Channel", indexers: ["type": .one { $0.spec?["type"]?.stringValue ?? "" }], resyncPeriod: 0,
            logger: Logger(label: "test"))
        let changes = Locked<[String]>([])
        informer.addHandler { change in
            let tag: String
            switch change {
            case .added(let r): tag = "added \(r.name)"
            case .updated(_, let r): tag = "updated \(r.name)"
            case .deleted(let r): tag = "deleted \(r.name)"
            case .resync(let r): tag = "resync \(r.name)"
            }
            changes.withLock { $0.append(tag) }
        }
        let run = Task { try await informer.run() }
        defer { run.cancel() }
        try await informer.waitUntilSynced()
        #expect(informer.get(namespace: "default", name: "a") != nil)
        let b = try await t.create("Channel", "b", ["type": "webhook", "webhook": ["url": "https://x.io"]])
        #expect(await informer.waitFor(resourceVersion: b.resourceVersion))
        #expect(informer.byIndex("type", "webhook").map(\.name) == ["b"])
        // A change of the indexed value moves it.
        let updated = try await t.store.guaranteedUpdate(b.key) { r in
            var n = r
            n.spec?["type"] = "log"
            return n
        }
        #expect(await informer.waitFor(resourceVersion: updated.object.resourceVersion))
        #expect(informer.byIndex("type", "webhook").isEmpty)
        #expect(Set(informer.byIndex("type", "log").map(\.name)) == ["a", "b"])
        let deleted = try await t.store.delete(b.key)
        #expect(await informer.waitFor(resourceVersion: deleted.object.resourceVersion + 1, timeout: 0.2) == false)
        #expect(informer.get(b.key) == nil)
        #expect(changes.withLock { $0 } == ["added a", "added b", "updated b", "deleted b"])
    }

    /// Index values shared by several objects, then by one, then by none; one value per object
    /// and several, as the two kinds of index function give them.
    @Test func indexesFollowObjectsInAndOut() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let informer = Informer(
            store: t.store, kind: "Channel",
            indexers: [
                "type": .one { $0.spec?["type"]?.stringValue },
                "tags": .many { $0.spec?["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [] },
            ], resyncPeriod: 0, logger: Logger(label: "test"))
        let run = Task { try await informer.run() }
        defer { run.cancel() }
        try await informer.waitUntilSynced()
        var last: Int64 = 0
        for (name, tags) in [("a", ["x", "y"]), ("b", ["y"]), ("c", [])] {
            last = try await t.create("Channel", name, ["type": "log", "tags": .array(tags.map { .string($0) })]).resourceVersion
        }
        #expect(await informer.waitFor(resourceVersion: last))
        func names(_ index: String, _ value: String) -> Set<String> { Set(informer.byIndex(index, value).map(\.name)) }
        #expect(names("type", "log") == ["a", "b", "c"])
        #expect(names("tags", "y") == ["a", "b"])
        #expect(names("tags", "x") == ["a"])
        #expect(informer.first(byIndex: "tags", "x")?.name == "a")
        #expect(informer.first(byIndex: "tags", "z") == nil)

        last = try await t.store.delete(ObjectKey(kind: "Channel", namespace: "default", name: "a")).object.resourceVersion
        let moved = try await t.store.guaranteedUpdate(ObjectKey(kind: "Channel", namespace: "default", name: "c")) { r in
            var n = r
            n.spec?["type"] = "webhook"
            n.spec?["tags"] = ["y"]
            return n
        }
        #expect(await informer.waitFor(resourceVersion: moved.object.resourceVersion))
        #expect(names("type", "log") == ["b"])
        #expect(informer.first(byIndex: "type", "log")?.name == "b")
        #expect(names("type", "webhook") == ["c"])
        #expect(names("tags", "x").isEmpty)
        #expect(names("tags", "y") == ["b", "c"])

        last = try await t.store.delete(ObjectKey(kind: "Channel", namespace: "default", name: "b")).object.resourceVersion
        #expect(await informer.waitFor(resourceVersion: last))
        #expect(names("type", "log").isEmpty)
        #expect(informer.first(byIndex: "type", "log") == nil)
        #expect(names("tags", "y") == ["c"])
    }

    /// Informers fed by one watch: each keeps its own kind, sees each object once (the one
    /// listed before the watch is not added again), and counts every kind's writes as progress.
    @Test func sharedInformersFeedEachKindFromOneWatch() async throws {
        let t = try TestStore()
        defer { t.remove() }
        try await t.create("Channel", "listed", ["type": "log"])
        let channels = Informer(store: t.store, kind: "Channel", resyncPeriod: 0, logger: Logger(label: "test"))
        let templates = Informer(store: t.store, kind: "Template", resyncPeriod: 0, logger: Logger(label: "test"))
        let added = Locked<[String]>([])
        for informer in [channels, templates] {
            informer.addHandler { change in
                if case .added(let r) = change { added.withLock { $0.append("\(r.kind)/\(r.name)") } }
            }
        }
        let shared = SharedInformers(store: t.store, informers: [channels, templates], logger: Logger(label: "test"))
        let run = Task { await shared.run() }
        defer { run.cancel() }
        try await channels.waitUntilSynced()
        try await templates.waitUntilSynced()
        let template = try await t.create("Template", "tpl", ["webhook": ["body": "{}"]])
        // A Channel waiter is resumed by a Template write: progress is the store's, not the kind's.
        #expect(await channels.waitFor(resourceVersion: template.resourceVersion))
        #expect(await templates.waitFor(resourceVersion: template.resourceVersion))
        let channel = try await t.create("Channel", "watched", ["type": "log"])
        #expect(await channels.waitFor(resourceVersion: channel.resourceVersion))
        #expect(Set(channels.list().map(\.name)) == ["listed", "watched"])
        #expect(templates.list().map(\.name) == ["tpl"])
        #expect(added.withLock { $0 } == ["Channel/listed", "Template/tpl", "Channel/watched"])
    }

    /// Waiters are resumed by the event that gets there, by their timeout, or by cancellation.
    @Test func waitForResumesOnProgressTimeoutAndCancellation() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let informer = Informer(store: t.store, kind: "Channel", resyncPeriod: 0, logger: Logger(label: "test"))
        let run = Task { try await informer.run() }
        defer { run.cancel() }
        try await informer.waitUntilSynced()
        let seen = informer.seenResourceVersion
        #expect(await informer.waitFor(resourceVersion: seen))

        // Several waiters on the same and different points, resumed by later writes of any kind.
        async let first = informer.waitFor(resourceVersion: seen + 1, timeout: 10)
        async let second = informer.waitFor(resourceVersion: seen + 2, timeout: 10)
        try await Task.sleep(for: .milliseconds(50))
        try await t.create("Channel", "a", ["type": "log"])
        try await t.create(
            "Notification", "n", ["message": ["text": "x"], "channels": ["a"], "to": [["address": ["email": "a@x.io"]]]])
        #expect(await first)
        #expect(await second)

        let started = ContinuousClock.now
        #expect(await informer.waitFor(resourceVersion: seen + 100, timeout: 0.2) == false)
        #expect(ContinuousClock.now - started < .seconds(5))

        let waiting = Task { await informer.waitFor(resourceVersion: seen + 100, timeout: 30) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        #expect(await waiting.value == false)
        // A wait already ended is not resumed again by later progress (that would trap).
        try await t.create("Channel", "b", ["type": "log"])
        #expect(await informer.waitFor(resourceVersion: informer.seenResourceVersion))
    }

    @Test func resyncHandsObjectsAgain() async throws {
        let t = try TestStore()
        defer { t.remove() }
        try await t.create("Channel", "a", ["type": "log"])
        let informer = Informer(store: t.store, kind: "Channel", resyncPeriod: 0.1, logger: Logger(label: "test"))
        let resyncs = Atomic<Int>(0)
        informer.addHandler { if case .resync = $0 { resyncs.add(1, ordering: .relaxed) } }
        let run = Task { try await informer.run() }
        defer { run.cancel() }
        // Poll with a generous deadline: a loaded CI machine may start the informer late.
        let deadline = ContinuousClock.now + .seconds(10)
        while resyncs.load(ordering: .relaxed) < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(resyncs.load(ordering: .relaxed) >= 2)
    }
}

@Suite(.serialized, .timeLimit(.minutes(2))) struct LeaderElectionTests {
    // Renewing every 0.2 s, a leader keeps a 3 s lease unless starved for 2.8 s: enough margin on
    // a 2-core CI machine that also runs herald processes for the integration tests.
    let config = LeaderElector.Configuration(leaseName: "test", identity: "a", leaseDuration: 3, renewPeriod: 0.2, retryPeriod: 0.1)

    func elector(_ store: any Store, _ identity: String) -> LeaderElector {
        var c = config
        c.identity = identity
        return LeaderElector(store: store, configuration: c, logger: Logger(label: "test"))
    }

    @Test func secondReplicaTakesOverWhenTheLeaderStops() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let leading = Locked<[String]>([])
        let a = Task {
            try await elector(t.store, "a").run {
                leading.withLock { $0.append("a") }
                try await Task.sleep(for: .seconds(60))
            }
        }
        // b starts once a leads: on a loaded machine a's first acquire can take a while.
        let started = Date()
        while leading.withLock({ $0 }).isEmpty && Date().timeIntervalSince(started) < 10 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let b = Task {
            try await elector(t.store, "b").run {
                leading.withLock { $0.append("b") }
                try await Task.sleep(for: .seconds(60))
            }
        }
        defer { b.cancel() }
        try await Task.sleep(for: .milliseconds(600))
        #expect(leading.withLock { $0 } == ["a"])
        a.cancel()
        _ = await a.result
        // a released the lease on its way out: b leads within its retry period (long before the
        // 3 s lease would have run out), give or take scheduling on a loaded machine.
        let released = Date()
        while leading.withLock({ $0 }).count < 2 && Date().timeIntervalSince(released) < 2 {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(leading.withLock { $0 } == ["a", "b"])
    }

    @Test func takesOverAnExpiredLeaseOfADeadLeader() async throws {
        let t = try TestStore()
        defer { t.remove() }
        // A leader that died without releasing: its lease just runs out.
        // The lease runs from the instant handed to acquireLease, not from when the call returns
        // (on a loaded machine that can be a fifth of a second later).
        let started = Date()
        let ghost = try await t.store.acquireLease("test", holder: "ghost", duration: 1, now: started)
        #expect(ghost != nil)
        let leading = Locked<Date?>(nil)
        let b = Task {
            try await elector(t.store, "b").run {
                leading.withLock { $0 = Date() }
                try await Task.sleep(for: .seconds(60))
            }
        }
        defer { b.cancel() }
        while leading.withLock({ $0 }) == nil && Date().timeIntervalSince(started) < 5 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let at = try #require(leading.withLock { $0 })
        #expect(at.timeIntervalSince(started) >= 0.95)
    }

    @Test func stopsWorkingWhenTheLeaseIsLost() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let cancelled = Atomic<Bool>(false)
        let run = Task {
            try await elector(t.store, "a").run {
                do { try await Task.sleep(for: .seconds(60)) } catch { cancelled.store(true, ordering: .relaxed) }
            }
        }
        defer { run.cancel() }
        try await Task.sleep(for: .milliseconds(100))
        // Someone else takes the lease (an operator, or clocks far apart): renew is refused.
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await t.store.acquireLease("test", holder: "intruder", duration: 30, now: Date().addingTimeInterval(5))
        try await Task.sleep(for: .milliseconds(500))
        let wasCancelled = cancelled.load(ordering: .relaxed)
        #expect(wasCancelled)
    }
}

@Suite(.serialized) struct EventRecorderTests {
    @Test func aggregatesRepeats() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let n = try await t.create(
            "Notification", "n", ["message": ["text": "x"], "channels": ["log"], "to": [["address": ["email": "a@x.io"]]]])
        let recorder = EventRecorder(store: t.store, instance: "test", logger: Logger(label: "test"))
        let run = Task { try await recorder.run() }
        recorder.record(.warning("TemplateNotFound", "Template \"x\" not found"), about: n)
        recorder.record(.warning("TemplateNotFound", "Template \"x\" not found"), about: n)
        recorder.record(.normal("Delivered", "1/1 delivered"), about: n)
        recorder.finish()
        try await run.value
        let events = try await t.store.list(kind: "Event", namespace: "default", options: ListOptions()).items
        #expect(events.count == 2)
        let warning = try #require(events.first { $0.json["reason"] == "TemplateNotFound" })
        #expect(warning.json["count"] == 2)
        #expect(warning.json["type"] == "Warning")
        #expect(warning.json["involvedObject"]?["uid"] == .string(n.uid))
        #expect(warning.json["involvedObject"]?["kind"] == "Notification")
        #expect(warning.json["involvedObject"]?["apiVersion"] == "herald.dev/v1alpha1")
        #expect(warning.json["source"]?["component"] == "herald-controller")
        #expect(warning.json["firstTimestamp"] != nil && warning.json["lastTimestamp"] != nil)
        #expect(warning.apiVersion == "v1")
        #expect(Validation.dns1123SubdomainProblem(warning.name) == nil)
    }

    /// A burst is written concurrently in batches; repeats inside one batch still aggregate.
    @Test func writesABurstAndStillAggregatesRepeats() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let n = try await t.create(
            "Notification", "n", ["message": ["text": "x"], "channels": ["log"], "to": [["address": ["email": "a@x.io"]]]])
        let recorder = EventRecorder(store: t.store, instance: "test", logger: Logger(label: "test"))
        for i in 0..<300 {
            recorder.record(.normal("Step", "step \(i)"), about: n)
            recorder.record(.normal("Step", "step \(i)"), about: n)
        }
        let run = Task { try await recorder.run() }
        recorder.finish()
        try await run.value
        let events = try await t.store.list(kind: "Event", namespace: "default", options: ListOptions()).items
        #expect(events.count == 300)
        #expect(events.allSatisfy { $0.json["count"] == 2 })
        #expect(Set(events.compactMap { $0.json["message"]?.stringValue }).count == 300)
    }

    @Test func dropsWhatDoesNotFitTheBuffer() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let n = try await t.create(
            "Notification", "n", ["message": ["text": "x"], "channels": ["log"], "to": [["address": ["email": "a@x.io"]]]])
        let recorder = EventRecorder(store: t.store, instance: "test", logger: Logger(label: "test"), buffer: 5)
        for i in 0..<8 { recorder.record(.normal("Step", "step \(i)"), about: n) }
        let run = Task { try await recorder.run() }
        recorder.finish()
        try await run.value
        let events = try await t.store.list(kind: "Event", namespace: "default", options: ListOptions()).items
        #expect(events.count == 5)
    }
}
