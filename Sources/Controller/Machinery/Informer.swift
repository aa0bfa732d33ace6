import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// An in-memory cache of one kind, kept current from the store: list, then watch from the
/// list's resourceVersion; re-list when the watch expires or ends; a periodic resync hands
/// every cached object to the handlers again (level-triggered reconcilers catch anything missed).
///
/// Indexers map an object to index values (for example a Delivery to its owner's uid) so
/// reconcilers find related objects without scanning. Handlers run on the watch loop and must
/// be quick (they enqueue keys).
public final class Informer: Service, Sendable {
    /// An object's values in one index. Most indexes give one value (a Delivery's owner, its
    /// uid): those compare with the stored value on every event without building an array.
    public enum IndexFunction: Sendable {
        case one(@Sendable (Resource) -> String?)
        case many(@Sendable (Resource) -> [String])

        func values(of r: Resource) -> IndexValues {
            switch self {
            case .one(let f): return f(r).map(IndexValues.one) ?? .none
            case .many(let f): return .many(f(r))
            }
        }

        func gives(_ stored: IndexValues, for r: Resource) -> Bool {
            switch (self, stored) {
            case (.one(let f), .one(let value)): return f(r) == value
            case (.one(let f), .none): return f(r) == nil
            case (.many(let f), .many(let values)): return f(r) == values
            default: return false
            }
        }
    }

    /// An object's values in one index. Most indexes give an object one value (its uid, its
    /// owner): kept without an array, which cost an allocation per object added.
    enum IndexValues: Sendable {
        case none
        case one(String)
        case many([String])

        func forEach(_ body: (String) -> Void) {
            switch self {
            case .none: break
            case .one(let value): body(value)
            case .many(let values): values.forEach(body)
            }
        }
    }

    /// The objects an index value maps to. Most values (a uid) belong to one object, and a set
    /// for each cost an allocation per object added.
    enum IndexEntry: Sendable {
        case one(ObjectKey)
        case many(Set<ObjectKey>)

        var first: ObjectKey? {
            switch self {
            case .one(let key): return key
            case .many(let keys): return keys.first
            }
        }

        var count: Int {
            switch self {
            case .one: return 1
            case .many(let keys): return keys.count
            }
        }

        func forEach(_ body: (ObjectKey) -> Void) {
            switch self {
            case .one(let key): body(key)
            case .many(let keys): keys.forEach(body)
            }
        }

        // Both change a set in place: `self` lets go of it first, or the set would be copied
        // (a namespace's Notifications can be thousands).
        mutating func insert(_ key: ObjectKey) {
            switch self {
            case .one(let existing):
                if existing != key { self = .many([existing, key]) }
            case .many(var keys):
                self = .one(key)
                keys.insert(key)
                self = .many(keys)
            }
        }

        /// False when `key` was the last.
        mutating func remove(_ key: ObjectKey) -> Bool {
            switch self {
            case .one(let existing):
                return existing != key
            case .many(var keys):
                self = .one(key)
                keys.remove(key)
                if keys.count == 1, let last = keys.first {
                    self = .one(last)
                } else {
                    self = .many(keys)
                }
                return !keys.isEmpty
            }
        }
    }

    public enum Change: Sendable {
        case added(Resource)
        case updated(old: Resource, new: Resource)
        case deleted(Resource)
        /// The periodic resync: the object did not change.
        case resync(Resource)

        public var object: Resource {
            switch self {
            case .added(let r), .deleted(let r), .resync(let r): return r
            case .updated(_, let r): return r
            }
        }
    }

    public typealias Handler = @Sendable (Change) -> Void

    struct State {
        var objects: [ObjectKey: Resource] = [:]
        var indices: [String: [String: IndexEntry]] = [:]
        /// Each object's index values (in `indexers` order) as computed when it was indexed, so
        /// replacing it does not evaluate the index functions on the old copy again.
        var indexed: [ObjectKey: [IndexValues]] = [:]
        /// Every change up to this resourceVersion (of any kind) has been applied.
        var seenResourceVersion: Int64 = 0
        var synced = false
        var handlers: [Handler] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// No waiter waits for less (a lower bound once waits end early): events before it need
        /// not look at the waiters, of which there can be dozens, on every event.
        var earliestWait = Int64.max

        mutating func addWaiter(for resourceVersion: Int64) -> Int {
            let id = nextWaiter
            nextWaiter += 1
            waiters[id] = Waiter(resourceVersion: resourceVersion)
            earliestWait = min(earliestWait, resourceVersion)
            return id
        }

        /// Records progress and hands back the waiters it satisfied, to resume outside the lock.
        mutating func advance(to resourceVersion: Int64) -> [CheckedContinuation<Bool, Never>] {
            guard resourceVersion > seenResourceVersion else { return [] }
            seenResourceVersion = resourceVersion
            guard !waiters.isEmpty, resourceVersion >= earliestWait else { return [] }
            var ready: [CheckedContinuation<Bool, Never>] = []
            var earliest = Int64.max
            for (id, waiter) in waiters where !waiter.slot.isSettled {
                guard waiter.resourceVersion <= resourceVersion else {
                    earliest = min(earliest, waiter.resourceVersion)
                    continue
                }
                // A waiter not registered yet keeps its outcome, and is removed as it registers.
                if let c = waiters[id]?.slot.settle(.success(true)) {
                    waiters[id] = nil
                    ready.append(c)
                }
            }
            earliestWait = earliest
            return ready
        }
    }

    /// One `waitFor` call. A timeout or cancellation can land before the continuation is
    /// registered, hence the states in between.
    struct Waiter {
        var resourceVersion: Int64
        var slot = ResumeOnce<Bool, Never>()
    }

    public let kind: String
    let store: any Store
    /// By name, in name order (`indexed` lists each object's values in this order).
    let indexers: [(name: String, function: IndexFunction)]
    let resyncPeriod: Double
    let logger: Logger
    let state = Mutex(State())

    public init(
        store: any Store, kind: String, indexers: [String: IndexFunction] = [:], resyncPeriod: Double = 300,
        logger: Logger
    ) {
        self.store = store
        self.kind = kind
        self.indexers = indexers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.resyncPeriod = resyncPeriod
        var log = logger
        log[metadataKey: "informer"] = .string(kind)
        self.logger = log
    }

    /// Adds a handler; call before `run`.
    public func addHandler(_ handler: @escaping Handler) {
        state.withLock { $0.handlers.append(handler) }
    }

    // MARK: reads

    public func get(_ key: ObjectKey) -> Resource? {
        state.withLock { $0.objects[key] }
    }

    public func get(namespace: String, name: String) -> Resource? {
        get(ObjectKey(kind: kind, namespace: namespace, name: name))
    }

    /// Cached objects, in one namespace or all.
    public func list(namespace: String? = nil) -> [Resource] {
        state.withLock { s in
            if let namespace { return s.objects.values.filter { $0.namespace == namespace } }
            return Array(s.objects.values)
        }
    }

    public func byIndex(_ index: String, _ value: String) -> [Resource] {
        state.withLock { s in
            guard let entry = s.indices[index]?[value] else { return [] }
            var found: [Resource] = []
            found.reserveCapacity(entry.count)
            entry.forEach { key in
                if let object = s.objects[key] { found.append(object) }
            }
            return found
        }
    }

    /// One object the index maps `value` to (any, if several): for indexes with a value per object,
    /// such as a uid, without the array `byIndex` builds.
    public func first(byIndex index: String, _ value: String) -> Resource? {
        state.withLock { s in
            guard let key = s.indices[index]?[value]?.first else { return nil }
            return s.objects[key]
        }
    }

    public var count: Int { state.withLock { $0.objects.count } }
    public var hasSynced: Bool { state.withLock { $0.synced } }
    public var seenResourceVersion: Int64 { state.withLock { $0.seenResourceVersion } }

    /// Waits until the first list is in the cache.
    public func waitUntilSynced() async throws {
        while !hasSynced {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until the cache reflects every change up to `resourceVersion`, so a reconciler reads
    /// its own writes. False on timeout.
    @discardableResult
    public func waitFor(resourceVersion: Int64, timeout: Double = 5) async -> Bool {
        // Resumed by the event that gets there, not polled: dozens of reconcilers wait at once.
        let id: Int? = state.withLock { s in
            guard s.seenResourceVersion < resourceVersion else { return nil }
            return s.addWaiter(for: resourceVersion)
        }
        guard let id else { return true }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))) != nil else { return }
            self?.settle(id, false)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now: Result<Bool, Never>? = state.withLock { s in
                    guard s.waiters[id] != nil else { return .success(false) }
                    let early = s.waiters[id]?.slot.register(c)
                    if early != nil { s.waiters[id] = nil }
                    return early
                }
                if let now { c.resume(with: now) }
            }
        } onCancel: {
            settle(id, false)
        }
    }

    /// Ends a wait early (timeout, cancellation); a no-op when it already ended.
    private func settle(_ id: Int, _ value: Bool) {
        let c: CheckedContinuation<Bool, Never>? = state.withLock { s in
            guard let c = s.waiters[id]?.slot.settle(.success(value)) else { return nil }
            s.waiters[id] = nil
            return c
        }
        c?.resume(returning: value)
    }

    // MARK: running

    /// Lists and watches this kind alone; a controller feeds its informers together through
    /// ``SharedInformers``.
    public func run() async throws {
        await SharedInformers(store: store, informers: [self], logger: logger).run()
    }

    /// Replaces the cache with a fresh list; returns the list's resourceVersion.
    func relist() async throws -> Int64 {
        let list = try await store.list(kind: kind, namespace: nil, options: ListOptions())
        replace(with: list.items, resourceVersion: list.resourceVersion)
        return list.resourceVersion
    }

    func resyncLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(Int64(resyncPeriod * 1000))) } catch { return }
            let (objects, handlers) = state.withLock { (Array($0.objects.values), $0.handlers) }
            for object in objects {
                for h in handlers { h(.resync(object)) }
            }
        }
    }

    func replace(with items: [Resource], resourceVersion: Int64) {
        var changes: [Change] = []
        var ready: [CheckedContinuation<Bool, Never>] = []
        let handlers = state.withLock { s -> [Handler] in
            var fresh: [ObjectKey: Resource] = [:]
            fresh.reserveCapacity(items.count)
            for item in items { fresh[item.key] = item }
            for (key, old) in s.objects where fresh[key] == nil {
                changes.append(.deleted(old))
            }
            for (key, new) in fresh {
                if let old = s.objects[key] {
                    if old.resourceVersion != new.resourceVersion { changes.append(.updated(old: old, new: new)) }
                } else {
                    changes.append(.added(new))
                }
            }
            s.objects = fresh
            s.indices = [:]
            s.indexed = [:]
            for item in items { index(item, into: &s) }
            ready = s.advance(to: resourceVersion)
            s.synced = true
            return s.handlers
        }
        for c in ready { c.resume(returning: true) }
        for change in changes {
            for h in handlers { h(change) }
        }
    }

    func apply(_ event: StoreEvent) {
        // The key, not the object: events of other kinds are never decoded.
        guard event.key.kind == kind else {
            for c in state.withLock({ $0.advance(to: event.resourceVersion) }) { c.resume(returning: true) }
            return
        }
        let key = event.key
        // Decoded (when the store deferred it) before taking the lock every cache reader shares.
        let object: Resource? = event.type == .deleted ? nil : event.object
        var ready: [CheckedContinuation<Bool, Never>] = []
        let (handlers, change) = state.withLock { s -> ([Handler], Change) in
            // Progress counts once the cache holds the change; waiters resume after the lock.
            defer { ready = s.advance(to: event.resourceVersion) }
            let old = s.objects[key]
            if let object {
                s.objects[key] = object
                reindex(object, from: &s)
                return (s.handlers, old.map { .updated(old: $0, new: object) } ?? .added(object))
            }
            if old != nil { unindex(key, from: &s) }
            s.objects[key] = nil
            return (s.handlers, .deleted(old ?? event.object))
        }
        for c in ready { c.resume(returning: true) }
        for h in handlers { h(change) }
    }

    private func indexValues(of r: Resource) -> [IndexValues] {
        indexers.map { $0.function.values(of: r) }
    }

    private func index(_ r: Resource, into s: inout State) {
        guard !indexers.isEmpty else { return }
        insert(r.key, indexValues(of: r), into: &s)
    }

    /// Most updates (a status write) keep every index value: the sets are left alone then, and
    /// nothing is built to find that out.
    private func reindex(_ r: Resource, from s: inout State) {
        guard !indexers.isEmpty else { return }
        let key = r.key
        if let previous = s.indexed[key], previous.count == indexers.count,
            zip(previous, indexers).allSatisfy({ $1.function.gives($0, for: r) })
        {
            return
        }
        unindex(key, from: &s)
        insert(key, indexValues(of: r), into: &s)
    }

    private func insert(_ key: ObjectKey, _ computed: [IndexValues], into s: inout State) {
        for (values, indexer) in zip(computed, indexers) {
            values.forEach { value in
                if s.indices[indexer.name]?[value] == nil {
                    s.indices[indexer.name, default: [:]][value] = .one(key)
                } else {
                    s.indices[indexer.name]?[value]?.insert(key)
                }
            }
        }
        s.indexed[key] = computed
    }

    private func unindex(_ key: ObjectKey, from s: inout State) {
        guard let computed = s.indexed.removeValue(forKey: key) else { return }
        for (values, indexer) in zip(computed, indexers) {
            values.forEach { value in
                if s.indices[indexer.name]?[value]?.remove(key) == false { s.indices[indexer.name]?[value] = nil }
            }
        }
    }
}
