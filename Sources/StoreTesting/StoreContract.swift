import Foundation
import HeraldAPI
import Store
import Testing

/// The behaviour every `Store` backend must have, written against the protocol only. Each backend's
/// test target runs every case on a fresh store.
public enum StoreContract {
    public typealias Case = @Sendable (any Store) async throws -> Void

    /// Backends build stores with this watch window so the expiry case can reach past it.
    public static let smallWatchWindow = 20

    public static let cases: [(name: String, run: Case)] = [
        ("create assigns server metadata", createAssignsMetadata),
        ("create of an existing name conflicts", createConflicts),
        ("resourceVersion is global and monotonic", globalResourceVersion),
        ("a write that changes nothing changes nothing", noOpWrite),
        ("generation bumps on spec changes only", generationRules),
        ("status only through the status subresource", statusSubresource),
        ("stale resourceVersion conflicts", optimisticConcurrency),
        ("guaranteed updates never lose writes", guaranteedUpdates),
        ("finalizers delay deletion", finalizers),
        ("label selectors", labelSelectors),
        ("field selectors", fieldSelectors),
        ("limit and continue paginate", pagination),
        ("watch from a resourceVersion", watchFromVersion),
        ("watch from zero lists first", watchFromZero),
        ("watch with a selector sees objects move in and out", watchSelectorTransitions),
        ("watch before the window is expired", watchExpired),
        ("dry runs persist nothing", dryRun),
        ("owners' deletion collects dependents", garbageCollection),
        ("leases elect one holder", leases),
        ("concurrent writers get distinct versions in watch order", concurrentWrites),
        ("writes submitted together succeed or fail one by one, in order", writesTogether),
        ("many writes submitted together span several commits", manyWritesTogether),
    ]

    // MARK: fixtures

    public static func notification(
        _ name: String, namespace: String = "default", labels: [String: String] = [:],
        subject: String = "hello"
    ) -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: namespace, name: name)
        r.labels = labels
        r.spec = [
            "message": ["subject": .string(subject), "text": "hi"], "to": [["address": ["email": "a@example.com"]]],
            "channels": ["log"],
        ]
        return r
    }

    public static func delivery(_ name: String, notification: String, owner: Resource?, phase: String? = nil) -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: name)
        r.spec = ["notification": .string(notification), "recipient": "a", "channel": "log"]
        if let owner {
            r.ownerReferences = [OwnerReference(apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid)]
        }
        if let phase { r.status = ["phase": .string(phase)] }
        return r
    }

    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Collects `count` events or gives up after `seconds`.
    static func collect(_ stream: AsyncThrowingStream<StoreEvent, any Error>, count: Int, seconds: Double = 5)
        async throws -> [StoreEvent]
    {
        try await withThrowingTaskGroup(of: [StoreEvent].self) { group in
            group.addTask {
                var events: [StoreEvent] = []
                for try await e in stream {
                    events.append(e)
                    if events.count == count { break }
                }
                return events
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return []
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
    }

    // MARK: cases

    static func createAssignsMetadata(_ store: any Store) async throws {
        let name = unique("meta")
        let created = try await store.create(notification(name))
        #expect(!created.uid.isEmpty)
        #expect(created.resourceVersion > 0)
        #expect(created.generation == 1)
        #expect(created.creationTimestamp.flatMap(Timestamp.parse) != nil)
        let fetched = try await store.get(created.key)
        #expect(fetched == created)
        await #expect(throws: StoreError.notFound(ObjectKey(kind: "Notification", namespace: "default", name: "missing-\(name)"))) {
            _ = try await store.get(ObjectKey(kind: "Notification", namespace: "default", name: "missing-\(name)"))
        }
    }

    static func createConflicts(_ store: any Store) async throws {
        let r = notification(unique("dup"))
        _ = try await store.create(r)
        await #expect(throws: StoreError.alreadyExists(r.key)) { _ = try await store.create(r) }
    }

    static func globalResourceVersion(_ store: any Store) async throws {
        let a = try await store.create(notification(unique("rv")))
        var t = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Template", namespace: "default", name: unique("rv"))
        t.spec = ["sms": ["text": "x"]]
        let b = try await store.create(t)
        let c = try await store.create(notification(unique("rv")))
        #expect(a.resourceVersion < b.resourceVersion)
        #expect(b.resourceVersion < c.resourceVersion)
        #expect(try await store.currentResourceVersion() >= c.resourceVersion)
    }

    static func noOpWrite(_ store: any Store) async throws {
        let created = try await store.create(notification(unique("noop")))
        let again = try await store.update(created)
        #expect(again.resourceVersion == created.resourceVersion)
        #expect(again.generation == created.generation)
    }

    static func generationRules(_ store: any Store) async throws {
        var r = try await store.create(notification(unique("gen")))
        r.labels = ["a": "b"]
        r = try await store.update(r)
        #expect(r.generation == 1)
        r.json.set(path: ["spec", "message", "subject"], to: "changed")
        let bumped = try await store.update(r)
        #expect(bumped.generation == 2)
        #expect(bumped.resourceVersion > r.resourceVersion)
        var s = bumped
        s.status = ["phase": "Delivered"]
        let statusOnly = try await store.update(s, target: .status)
        #expect(statusOnly.generation == 2)
    }

    static func statusSubresource(_ store: any Store) async throws {
        var r = notification(unique("status"))
        r.status = ["phase": "Delivered"]
        let created = try await store.create(r)
        #expect(created.status == nil)
        var main = created
        main.status = ["phase": "Failed"]
        let afterMain = try await store.update(main)
        #expect(afterMain.status == nil)
        #expect(afterMain.resourceVersion == created.resourceVersion)
        var viaStatus = afterMain
        viaStatus.status = ["phase": "Delivering"]
        viaStatus.labels = ["ignored": "yes"]
        let afterStatus = try await store.update(viaStatus, target: .status)
        #expect(afterStatus.status?["phase"] == "Delivering")
        #expect(afterStatus.labels.isEmpty)
    }

    static func optimisticConcurrency(_ store: any Store) async throws {
        let created = try await store.create(notification(unique("occ")))
        var first = created
        first.labels = ["x": "1"]
        _ = try await store.update(first)
        var stale = created
        stale.labels = ["x": "2"]
        await #expect(throws: StoreError.self) { _ = try await store.update(stale) }
        #expect(try await store.get(created.key).labels["x"] == "1")
    }

    static func guaranteedUpdates(_ store: any Store) async throws {
        let created = try await store.create(notification(unique("gu")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    _ = try await store.guaranteedUpdate(created.key) { current in
                        var next = current
                        let n = Int(current.labels["count"] ?? "0") ?? 0
                        next.labels = ["count": String(n + 1)]
                        return next
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.get(created.key).labels["count"] == "20")
    }

    static func finalizers(_ store: any Store) async throws {
        var r = notification(unique("fin"))
        r.finalizers = ["herald.dev/cancel"]
        let created = try await store.create(r)
        let events = try await store.watch(
            kind: "Notification", namespace: "default",
            options: .init(
                fieldSelector: try FieldSelector(parsing: "metadata.name=\(r.name)")), after: created.resourceVersion)
        let marked = try await store.delete(created.key)
        #expect(!marked.removed)
        #expect(marked.object.deletionTimestamp != nil)
        let again = try await store.delete(created.key)
        #expect(again.object.resourceVersion == marked.object.resourceVersion)
        var cleared = marked.object
        cleared.finalizers = []
        _ = try await store.update(cleared)
        await #expect(throws: StoreError.self) { _ = try await store.get(created.key) }
        let seen = try await collect(events, count: 2)
        #expect(seen.map(\.type) == [.modified, .deleted])
    }

    static func labelSelectors(_ store: any Store) async throws {
        let ns = unique("labels")
        _ = try await store.create(notification("a", namespace: ns, labels: ["env": "prod", "team": "sre"]))
        _ = try await store.create(notification("b", namespace: ns, labels: ["env": "dev"]))
        _ = try await store.create(notification("c", namespace: ns))
        func names(_ selector: String) async throws -> [String] {
            try await store.list(kind: "Notification", namespace: ns, options: .init(labelSelector: LabelSelector(parsing: selector)))
                .items.map(\.name)
        }
        #expect(try await names("env=prod") == ["a"])
        #expect(try await names("env!=prod") == ["b", "c"])
        #expect(try await names("env in (prod,dev)") == ["a", "b"])
        #expect(try await names("env notin (prod)") == ["b", "c"])
        #expect(try await names("team") == ["a"])
        #expect(try await names("!env") == ["c"])
        #expect(try await names("env=prod,team=sre") == ["a"])
    }

    static func fieldSelectors(_ store: any Store) async throws {
        let parent = try await store.create(notification(unique("fs")))
        _ = try await store.create(
            delivery(unique("d1"), notification: parent.name, owner: nil, phase: "Delivered"), options: .init(keepStatus: true))
        _ = try await store.create(
            delivery(unique("d2"), notification: parent.name, owner: nil, phase: "Failed"), options: .init(keepStatus: true))
        _ = try await store.create(
            delivery(unique("d3"), notification: "other", owner: nil, phase: "Failed"), options: .init(keepStatus: true))
        func count(_ selector: String) async throws -> Int {
            try await store.list(kind: "Delivery", namespace: "default", options: .init(fieldSelector: FieldSelector(parsing: selector)))
                .items.count
        }
        #expect(try await count("spec.notification=\(parent.name)") == 2)
        #expect(try await count("spec.notification=\(parent.name),status.phase=Failed") == 1)
        #expect(try await count("spec.notification=\(parent.name),status.phase!=Failed") == 1)
        #expect(
            try await store.list(
                kind: "Notification", namespace: nil,
                options: .init(
                    fieldSelector: FieldSelector(parsing: "metadata.name=\(parent.name),metadata.namespace=default"))
            ).items.count == 1)
    }

    static func pagination(_ store: any Store) async throws {
        let ns = unique("page")
        for i in 0..<7 { _ = try await store.create(notification("n\(i)", namespace: ns)) }
        var names: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await store.list(kind: "Notification", namespace: ns, options: .init(limit: 3, continueToken: token))
            names += page.items.map(\.name)
            token = page.continueToken
            pages += 1
        } while token != nil && pages < 10
        #expect(names == (0..<7).map { "n\($0)" })
        #expect(pages == 3)
        await #expect(throws: StoreError.self) {
            _ = try await store.list(kind: "Notification", namespace: ns, options: .init(limit: 3, continueToken: "garbage"))
        }
    }

    static func watchFromVersion(_ store: any Store) async throws {
        let ns = unique("watch")
        let start = try await store.currentResourceVersion()
        let stream = try await store.watch(kind: "Notification", namespace: ns, options: .init(), after: start)
        var a = try await store.create(notification("a", namespace: ns))
        a.labels = ["x": "y"]
        a = try await store.update(a)
        _ = try await store.delete(a.key)
        let events = try await collect(stream, count: 3)
        #expect(events.map(\.type) == [.added, .modified, .deleted])
        #expect(events.map(\.resourceVersion) == events.map(\.resourceVersion).sorted())
        #expect(events.allSatisfy { $0.object.name == "a" })
        // Resuming from the middle replays only what came after.
        let resumed = try await store.watch(kind: "Notification", namespace: ns, options: .init(), after: events[0].resourceVersion)
        #expect(try await collect(resumed, count: 2).map(\.type) == [.modified, .deleted])
    }

    static func watchFromZero(_ store: any Store) async throws {
        let ns = unique("watch0")
        _ = try await store.create(notification("a", namespace: ns))
        _ = try await store.create(notification("b", namespace: ns))
        let stream = try await store.watch(kind: "Notification", namespace: ns, options: .init(), after: nil)
        _ = try await store.create(notification("c", namespace: ns))
        let events = try await collect(stream, count: 3)
        #expect(events.map(\.type) == [.added, .added, .added])
        #expect(events.map(\.object.name) == ["a", "b", "c"])
    }

    static func watchSelectorTransitions(_ store: any Store) async throws {
        let ns = unique("watchsel")
        var a = try await store.create(notification("a", namespace: ns))
        let stream = try await store.watch(
            kind: "Notification", namespace: ns, options: .init(labelSelector: LabelSelector(parsing: "tier=gold")),
            after: a.resourceVersion)
        a.labels = ["tier": "gold"]
        a = try await store.update(a)
        a.labels = ["tier": "silver"]
        a = try await store.update(a)
        let events = try await collect(stream, count: 2)
        #expect(events.map(\.type) == [.added, .deleted])
    }

    static func watchExpired(_ store: any Store) async throws {
        let first = try await store.create(notification(unique("exp")))
        for _ in 0..<(smallWatchWindow + 5) { _ = try await store.create(notification(unique("exp"))) }
        await #expect(throws: StoreError.self) {
            let stream = try await store.watchAll(after: first.resourceVersion - 1)
            for try await _ in stream { break }
        }
    }

    static func dryRun(_ store: any Store) async throws {
        let before = try await store.currentResourceVersion()
        let stream = try await store.watchAll(after: before)
        let r = notification(unique("dry"))
        let created = try await store.create(r, options: .init(dryRun: true))
        #expect(created.name == r.name)
        await #expect(throws: StoreError.self) { _ = try await store.get(r.key) }
        let real = try await store.create(r)
        var changed = real
        changed.json.set(path: ["spec", "message", "subject"], to: "dry")
        let dry1 = try await store.update(changed, options: .init(dryRun: true))
        let dry2 = try await store.update(changed, options: .init(dryRun: true))
        #expect(dry1 == dry2)
        #expect(dry1.generation == 2)
        #expect(dry1.resourceVersion == real.resourceVersion)
        #expect(try await store.get(r.key) == real)
        _ = try await store.delete(r.key, options: .init(dryRun: true))
        #expect(try await store.get(r.key) == real)
        // Exactly one event: the real create.
        let events = try await collect(stream, count: 2, seconds: 1)
        #expect(events.isEmpty || events.count == 1)
        #expect(try await store.currentResourceVersion() == real.resourceVersion)
    }

    static func garbageCollection(_ store: any Store) async throws {
        let owner = try await store.create(notification(unique("owner")))
        let d1 = try await store.create(delivery(unique("dep"), notification: owner.name, owner: owner))
        let d2 = try await store.create(delivery(unique("dep"), notification: owner.name, owner: owner))
        let free = try await store.create(delivery(unique("free"), notification: owner.name, owner: nil))
        _ = try await store.delete(owner.key)
        let orphans = Set(try await store.orphanedDependents(limit: 100))
        #expect(orphans.contains(d1.key) && orphans.contains(d2.key))
        #expect(!orphans.contains(free.key))
        for key in orphans { _ = try? await store.delete(key) }
        await #expect(throws: StoreError.self) { _ = try await store.get(d1.key) }
        #expect(try await store.get(free.key).name == free.name)
    }

    static func leases(_ store: any Store) async throws {
        let name = unique("lease")
        let now = Date()
        #expect(try await store.lease(named: name) == nil)
        let a = try #require(try await store.acquireLease(name, holder: "a", duration: 10, now: now))
        let stored = try #require(try await store.lease(named: name))
        #expect(stored.holder == "a" && stored.version == a.version)
        #expect(abs(stored.expires.timeIntervalSince(a.expires)) < 0.001)
        #expect(try await store.acquireLease(name, holder: "b", duration: 10, now: now.addingTimeInterval(1)) == nil)
        let renewed = try #require(try await store.renewLease(a, now: now.addingTimeInterval(5)))
        #expect(renewed.version > a.version)
        // A renew with the old version is fenced off.
        #expect(try await store.renewLease(a, now: now.addingTimeInterval(6)) == nil)
        // After expiry another holder takes over, and the old holder cannot renew.
        let b = try #require(try await store.acquireLease(name, holder: "b", duration: 10, now: now.addingTimeInterval(16)))
        #expect(b.holder == "b")
        #expect(try await store.renewLease(renewed, now: now.addingTimeInterval(17)) == nil)
        #expect(try await store.lease(named: name)?.holder == "b")
        try await store.releaseLease(b)
        // Released: gone, or expired for every clock.
        if let released = try await store.lease(named: name) { #expect(released.expires <= now) }
        #expect(try await store.acquireLease(name, holder: "c", duration: 10, now: now.addingTimeInterval(18)) != nil)
    }

    static func concurrentWrites(_ store: any Store) async throws {
        let ns = unique("conc")
        let start = try await store.currentResourceVersion()
        let stream = try await store.watch(kind: "Notification", namespace: ns, options: .init(), after: start)
        let versions = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<15 { group.addTask { try await store.create(notification("n\(i)", namespace: ns)).resourceVersion } }
            var all: [Int64] = []
            for try await v in group { all.append(v) }
            return all
        }
        #expect(Set(versions).count == 15)
        let events = try await collect(stream, count: 15)
        #expect(events.count == 15)
        #expect(events.map(\.resourceVersion) == events.map(\.resourceVersion).sorted())
    }

    static func writesTogether(_ store: any Store) async throws {
        let existing = try await store.create(notification(unique("batch")))
        let fresh = [notification(unique("batch")), notification(unique("batch"))]
        let created = await store.createAll([fresh[0], existing, fresh[1]])
        #expect(created.count == 3)
        #expect(try created[0].get().name == fresh[0].name)
        #expect(throws: StoreError.alreadyExists(existing.key)) { try created[1].get() }
        #expect(try created[2].get().name == fresh[1].name)
        #expect(try created[0].get().resourceVersion != created[2].get().resourceVersion)
        #expect(try !created[0].get().uid.isEmpty)

        let missing = ObjectKey(kind: "Notification", namespace: "default", name: unique("missing"))
        let labelled: @Sendable (Resource) throws -> Resource = { current in
            var next = current
            next.labels = ["batch": "yes"]
            return next
        }
        let refused: @Sendable (Resource) throws -> Resource = { current in throw StoreError.conflict(current.key, "refused") }
        let updated = await store.guaranteedUpdateAll([
            (key: existing.key, transform: labelled), (key: missing, transform: labelled),
            (key: try created[0].get().key, transform: refused),
        ])
        #expect(try updated[0].get().object.labels == ["batch": "yes"])
        #expect(try updated[0].get().changed)
        #expect(throws: StoreError.notFound(missing)) { try updated[1].get() }
        #expect(throws: StoreError.self) { try updated[2].get() }
        #expect(try await store.get(existing.key).labels == ["batch": "yes"])
        // The refused write left its object as it was.
        #expect(try await store.get(created[0].get().key).resourceVersion == created[0].get().resourceVersion)
        #expect(await store.mutateAll([]).isEmpty)
    }

    static func manyWritesTogether(_ store: any Store) async throws {
        let start = try await store.currentResourceVersion()
        let stream = try await store.watchAll(after: start)
        let objects = (0..<600).map { _ in notification(unique("many")) }
        let results = await store.createAll(objects)
        let versions = try results.map { try $0.get().resourceVersion }
        #expect(try results.map { try $0.get().name } == objects.map(\.name))
        #expect(Set(versions).count == objects.count)
        let events = try await collect(stream, count: objects.count, seconds: 20)
        #expect(Set(events.map(\.key.name)) == Set(objects.map(\.name)))
    }
}
