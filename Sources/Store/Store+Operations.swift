import Foundation
import HeraldAPI

public struct WriteOptions: Sendable {
    public var dryRun: Bool
    /// For internal callers (the controller) that create objects with an initial status.
    public var keepStatus: Bool
    public var now: Date?

    public init(dryRun: Bool = false, keepStatus: Bool = false, now: Date? = nil) {
        self.dryRun = dryRun
        self.keepStatus = keepStatus
        self.now = now
    }
}

public struct DeletePreconditions: Sendable {
    public var uid: String?
    public var resourceVersion: Int64?

    public init(uid: String? = nil, resourceVersion: Int64? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

extension Store {
    /// Creates an object; it must be admitted (validated and defaulted) already.
    public func create(_ object: Resource, options: WriteOptions = .init()) async throws -> Resource {
        let write = creation(of: object, options: options)
        return try await mutate(write.key, dryRun: options.dryRun, write.body).object
    }

    /// Creates several objects in one submission (see `mutateAll`); each succeeds or fails on
    /// its own, in the order given. No dry run.
    public func createAll(_ objects: [Resource], options: WriteOptions = .init()) async -> [Result<Resource, any Error>] {
        await mutateAll(objects.map { creation(of: $0, options: options) }).map { $0.map(\.object) }
    }

    private func creation(of object: Resource, options: WriteOptions) -> StoreWrite {
        var object = object
        if object.name.isEmpty, let prefix = object.generateName {
            object.name = prefix + Self.randomSuffix()
        }
        let prepared = WriteRules.prepareCreate(
            object, now: options.now ?? Date(), uid: ObjectUID.make(), keepStatus: options.keepStatus)
        let key = prepared.key
        return StoreWrite(key: key) { current in
            if current != nil { throw StoreError.alreadyExists(key) }
            return .put(prepared)
        }
    }

    /// Replaces an object (or its status). A non-zero resourceVersion in `object` must be current.
    public func update(_ object: Resource, target: WriteRules.Target = .main, options: WriteOptions = .init())
        async throws -> Resource
    {
        let precondition = object.resourceVersion
        return try await guaranteedUpdate(object.key, target: target, options: options) { current in
            if precondition != 0 && precondition != current.resourceVersion {
                throw StoreError.conflict(
                    current.key,
                    "the object has been modified; please apply your changes to the latest version and try again")
            }
            return object
        }.object
    }

    /// Read-modify-write inside the store's transaction: `transform` sees the current object and
    /// returns the desired one (used for patches, so concurrent patches never lose updates).
    public func guaranteedUpdate(
        _ key: ObjectKey, target: WriteRules.Target = .main, options: WriteOptions = .init(),
        _ transform: @escaping @Sendable (Resource) throws -> Resource
    ) async throws -> MutationResult {
        let write = update(key, target: target, transform)
        return try await mutate(key, dryRun: options.dryRun, write.body)
    }

    /// `guaranteedUpdate` for several objects in one submission (see `mutateAll`); each
    /// succeeds or fails on its own, in the order given. No dry run.
    public func guaranteedUpdateAll(
        _ updates: [(key: ObjectKey, transform: @Sendable (Resource) throws -> Resource)], target: WriteRules.Target = .main
    ) async -> [Result<MutationResult, any Error>] {
        await mutateAll(updates.map { update($0.key, target: target, $0.transform) })
    }

    private func update(
        _ key: ObjectKey, target: WriteRules.Target, _ transform: @escaping @Sendable (Resource) throws -> Resource
    ) -> StoreWrite {
        let hasStatus = kinds.hasStatus(key.kind)
        return StoreWrite(key: key) { current in
            guard let current else { throw StoreError.notFound(key) }
            let desired = try transform(current)
            return WriteRules.update(current: current, desired: desired, target: target, hasStatus: hasStatus)
        }
    }

    /// Deletes an object, or marks it for deletion while finalizers remain. `removed` tells which.
    public func delete(_ key: ObjectKey, preconditions: DeletePreconditions = .init(), options: WriteOptions = .init())
        async throws -> MutationResult
    {
        let now = options.now ?? Date()
        return try await mutate(key, dryRun: options.dryRun) { current in
            guard let current else { throw StoreError.notFound(key) }
            if let uid = preconditions.uid, uid != current.uid {
                throw StoreError.conflict(key, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.uid)")
            }
            if let rv = preconditions.resourceVersion, rv != current.resourceVersion {
                throw StoreError.conflict(
                    key,
                    "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current.resourceVersion)"
                )
            }
            return WriteRules.delete(current: current, now: now)
        }
    }

    /// Watches one kind (or all with `nil`) from a resourceVersion, filtered by namespace and selectors.
    /// `after == nil` starts with an ADDED event per existing object, then follows changes.
    public func watch(kind: String?, namespace: String?, options: ListOptions, after: Int64?) async throws
        -> AsyncThrowingStream<StoreEvent, any Error>
    {
        let filter = WatchFilter(kinds: kinds, kind: kind, namespace: namespace, options: options)
        var initial: [StoreEvent] = []
        let start: Int64
        if let after {
            start = after
        } else if let kind {
            let list = try await list(
                kind: kind, namespace: namespace,
                options: ListOptions(
                    labelSelector: options.labelSelector, fieldSelector: options.fieldSelector))
            initial = list.items.map { StoreEvent(type: .added, object: $0, previous: nil, resourceVersion: $0.resourceVersion) }
            start = list.resourceVersion
        } else {
            start = try await currentResourceVersion()
        }
        return try await watchAll(after: start, prefix: initial, filter: filter.apply)
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}

/// Applies a watch's kind, namespace and selectors to store events, turning changes that move an
/// object into or out of the selection into ADDED and DELETED, as the Kubernetes API does.
struct WatchFilter: Sendable {
    let kinds: KindRegistry
    let kind: String?
    let namespace: String?
    let options: ListOptions

    /// Kind and namespace come from the event's key, so a watch without selectors never decodes
    /// an object; both states of a change share that key.
    func covers(_ key: ObjectKey) -> Bool {
        if let kind, key.kind != kind { return false }
        if let namespace, key.namespace != namespace { return false }
        return true
    }

    var hasSelectors: Bool { !options.labelSelector.isEmpty || !options.fieldSelector.isEmpty }

    func selects(_ r: Resource) -> Bool {
        if !options.labelSelector.isEmpty && !options.labelSelector.matches(labelsOf: r) { return false }
        if !options.fieldSelector.isEmpty {
            guard let def = kinds.kind(r.kind) else { return false }
            return options.fieldSelector.matches { def.fieldValue(r, $0) }
        }
        return true
    }

    func apply(_ event: StoreEvent) -> StoreEvent? {
        guard covers(event.key) else { return nil }
        guard hasSelectors else { return event }
        let now = selects(event.object)
        switch event.type {
        case .added, .deleted:
            return now ? event : nil
        case .modified:
            let before = event.previous.map(selects) ?? false
            // Changing the type alone keeps the stored bytes, which still describe the object.
            var moved = event
            switch (before, now) {
            case (true, true): return event
            case (false, true):
                moved.type = .added
                moved.previous = nil
                return moved
            case (true, false):
                moved.type = .deleted
                return moved
            case (false, false): return nil
            }
        }
    }
}

/// The position a paginated list continues from.
public struct ContinueToken: Sendable, Equatable {
    public var resourceVersion: Int64
    public var namespace: String
    public var name: String

    public init(resourceVersion: Int64, namespace: String, name: String) {
        self.resourceVersion = resourceVersion
        self.namespace = namespace
        self.name = name
    }

    public var encoded: String {
        let json: JSON = ["rv": .int(resourceVersion), "ns": .string(namespace), "name": .string(name)]
        return Base64.encode(json.serialized())
    }

    public init(decoding text: String) throws {
        guard let bytes = Base64.decode(text), let json = try? JSON.parse(bytes),
            let rv = json["rv"]?.intValue, let ns = json["ns"]?.stringValue, let name = json["name"]?.stringValue
        else { throw StoreError.invalidContinue("the continue token is not one this server issued") }
        self.init(resourceVersion: rv, namespace: ns, name: name)
    }
}
