import Foundation
import HeraldAPI

/// Storage for API objects with Kubernetes semantics: a global monotonic resourceVersion, optimistic
/// concurrency, watches from a resourceVersion, generation, finalizers and owner references.
///
/// Backends implement the few requirements below; the object semantics (generation bumps, no-op
/// writes, status subresource, finalizers) are written once in `Store+Operations.swift` on top of
/// `mutate`, so every backend behaves the same and one contract suite tests them all.
public protocol Store: Sendable {
    var kinds: KindRegistry { get }

    func get(_ key: ObjectKey) async throws -> Resource

    /// Objects of one kind, in one namespace or all (`nil`), in (namespace, name) order.
    func list(kind: String, namespace: String?, options: ListOptions) async throws -> ResourceList

    /// `prefix`, then the changes after `resourceVersion`, in order, for every kind, each passed
    /// through `filter` (nil drops it); `StoreError.expired` when that point is no longer in the
    /// watch window. The filter runs where events are fanned out, so a watch costs its reader one
    /// stream hop per event.
    func watchAll(after resourceVersion: Int64, prefix: [StoreEvent], filter: WatchHub.Filter?) async throws
        -> AsyncThrowingStream<StoreEvent, any Error>

    /// The newest resourceVersion the store has committed.
    func currentResourceVersion() async throws -> Int64

    /// Atomically reads one object, lets `body` decide, and commits the decision with a new
    /// resourceVersion. With `dryRun` nothing is persisted and no event is emitted.
    func mutate(_ key: ObjectKey, dryRun: Bool, _ body: @escaping @Sendable (Resource?) throws -> Mutation) async throws
        -> MutationResult

    /// `mutate` for many objects at once, each decided on its own; results in the order given.
    /// Backends that commit in groups take them as one submission (one wake-up for the whole
    /// set instead of one task and one continuation each); the default runs them concurrently.
    func mutateAll(_ writes: [StoreWrite]) async -> [Result<MutationResult, any Error>]

    /// Objects whose every controlling owner no longer exists (for background garbage collection).
    func orphanedDependents(limit: Int) async throws -> [ObjectKey]

    /// Leader-election leases, fenced by a version that changes on every acquire and renew.
    func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date) async throws -> Lease?
    func renewLease(_ lease: Lease, now: Date) async throws -> Lease?
    func releaseLease(_ lease: Lease) async throws
    /// The lease as stored, expired or released or not; nil when none of that name is stored.
    /// Callers compare `expires` with their clock, as acquire and renew do.
    func lease(named name: String) async throws -> Lease?

    /// Whether the backing database answers (for `/readyz`).
    func ping() async throws
}

/// One write of a `mutateAll`: the key and the decision on its current state.
public struct StoreWrite: Sendable {
    public var key: ObjectKey
    public var body: @Sendable (Resource?) throws -> Mutation

    public init(key: ObjectKey, body: @escaping @Sendable (Resource?) throws -> Mutation) {
        self.key = key
        self.body = body
    }
}

public enum Mutation: Sendable {
    case unchanged
    /// Create or replace; the store assigns the resourceVersion.
    case put(Resource)
    /// Remove; the DELETED event carries this final state.
    case remove(Resource)
}

public struct MutationResult: Sendable {
    public var object: Resource
    /// True when the object was written (or, in a dry run, would have been).
    public var changed: Bool
    public var removed: Bool
    /// True when the object did not exist before.
    public var created: Bool

    public init(object: Resource, changed: Bool, removed: Bool, created: Bool = false) {
        self.object = object
        self.changed = changed
        self.removed = removed
        self.created = created
    }
}

public struct ListOptions: Sendable {
    public var labelSelector: LabelSelector
    public var fieldSelector: FieldSelector
    public var limit: Int?
    public var continueToken: String?

    public init(
        labelSelector: LabelSelector = .init(), fieldSelector: FieldSelector = .init(), limit: Int? = nil,
        continueToken: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
    }
}

public struct ResourceList: Sendable {
    public var items: [Resource]
    public var resourceVersion: Int64
    public var continueToken: String?
    public var remainingItemCount: Int?

    public init(items: [Resource], resourceVersion: Int64, continueToken: String? = nil, remainingItemCount: Int? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
        self.remainingItemCount = remainingItemCount
    }
}

public struct Lease: Sendable, Hashable {
    public var name: String
    public var holder: String
    /// Changes on every acquire and renew; a renew with a stale version fails (fencing).
    public var version: Int64
    public var expires: Date
    public var duration: TimeInterval

    public init(name: String, holder: String, version: Int64, expires: Date, duration: TimeInterval) {
        self.name = name
        self.holder = holder
        self.version = version
        self.expires = expires
        self.duration = duration
    }
}

/// Store failures; the API server maps each to a Kubernetes Status.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(ObjectKey)
    case alreadyExists(ObjectKey)
    /// The write named a resourceVersion (or uid) that is no longer current.
    case conflict(ObjectKey, String)
    /// A watch or continue point older than the kept history.
    case expired(requested: Int64, oldest: Int64)
    case invalidContinue(String)
    /// The database is unreachable; retry later.
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let k): return "\(k) not found"
        case .alreadyExists(let k): return "\(k) already exists"
        case .conflict(let k, let why): return "conflict on \(k): \(why)"
        case .expired(let r, let o): return "too old resource version: \(r) (\(o))"
        case .invalidContinue(let why): return "invalid continue token: \(why)"
        case .unavailable(let why): return "storage unavailable: \(why)"
        }
    }
}

extension Store {
    public func mutateAll(_ writes: [StoreWrite]) async -> [Result<MutationResult, any Error>] {
        await withTaskGroup(of: (Int, Result<MutationResult, any Error>).self) { group in
            for (i, write) in writes.enumerated() {
                group.addTask {
                    do {
                        return (i, .success(try await mutate(write.key, dryRun: false, write.body)))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var results = [Result<MutationResult, any Error>](
                repeating: .failure(StoreError.unavailable("no answer")), count: writes.count)
            for await (i, result) in group { results[i] = result }
            return results
        }
    }

    /// Changes after `resourceVersion`, in order, for every kind.
    public func watchAll(after resourceVersion: Int64) async throws -> AsyncThrowingStream<StoreEvent, any Error> {
        try await watchAll(after: resourceVersion, prefix: [], filter: nil)
    }
}
