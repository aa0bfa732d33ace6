import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Records core `v1` Events about objects, which `kubectl describe` and `heraldctl describe`
/// show. Repeats of the same (object, type, reason, message) update one Event's `count` and
/// `lastTimestamp` instead of creating another, as Kubernetes' recorder does.
///
/// `record` never blocks a reconciler: notes go to a bounded buffer written by `run`; when the
/// buffer is full, notes are dropped (and counted in the log), since events are advisory. `run`
/// writes what has piled up concurrently, so a burst of Events shares the store's group commits
/// instead of costing a transaction each.
public final class EventRecorder: Service, Sendable {
    public static let component = "herald-controller"

    struct Pending: Sendable {
        var note: EventNote
        var involved: JSON
        var namespace: String
        var objectName: String
        var ownerUID: String
        var ownerKind: String
        var ownerAPIVersion: String
        var time: Date
    }

    struct AggregateKey: Hashable {
        var uid: String
        var type: String
        var reason: String
        var message: String
    }

    struct State {
        /// Events already written, by what they say; bounded (oldest forgotten first).
        var written: [AggregateKey: ObjectKey] = [:]
        var order: [AggregateKey] = []
        var dropped = 0
    }

    let store: any Store
    let clock: any ControllerClock
    let logger: Logger
    let instance: String
    let host: String
    let state = Mutex(State())
    let memory: Int
    let buffer: BatchBuffer<Pending>
    /// Events written at once, at most.
    static let batch = 256

    public init(
        store: any Store, instance: String = LeaderElector.defaultIdentity(), clock: any ControllerClock = SystemClock(),
        logger: Logger, buffer: Int = 10_000, memory: Int = 4096
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.instance = instance
        self.memory = memory
        host = ProcessInfo.processInfo.hostName
        self.buffer = BatchBuffer(capacity: buffer)
    }

    /// Queues an Event about `object` (a Notification, a Delivery, …).
    public func record(_ note: EventNote, about object: Resource) {
        let involved: JSON = [
            "kind": .string(object.kind), "name": .string(object.name), "namespace": .string(object.namespace),
            "uid": .string(object.uid), "apiVersion": .string(object.apiVersion),
            "resourceVersion": .string(object.resourceVersionString ?? ""),
        ]
        let pending = Pending(
            note: note, involved: involved, namespace: object.namespace, objectName: object.name, ownerUID: object.uid,
            ownerKind: object.kind, ownerAPIVersion: object.apiVersion, time: clock.now())
        if !buffer.append(pending) {
            state.withLock { $0.dropped += 1 }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while let batch = await buffer.next(max: Self.batch) {
                await write(batch)
                reportDropped()
            }
        } onGracefulShutdown: {
            self.buffer.finish()
        }
    }

    /// Writes a batch concurrently. Notes that aggregate into the same Event go one after the
    /// other in one task, so the first creates it and the rest count up.
    func write(_ batch: [Pending]) async {
        var groups: [AggregateKey: [Pending]] = [:]
        var order: [AggregateKey] = []
        for p in batch {
            let key = Self.aggregateKey(p)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(p)
        }
        await withTaskGroup(of: Void.self) { group in
            for key in order {
                let notes = groups[key] ?? []
                group.addTask {
                    for p in notes { await self.write(p) }
                }
            }
        }
    }

    private func reportDropped() {
        let dropped = state.withLock { s -> Int in
            let d = s.dropped
            s.dropped = 0
            return d
        }
        if dropped > 0 {
            logger.warning("event buffer full; events dropped", metadata: ["dropped": "\(dropped)"])
        }
    }

    /// Stops accepting events; `run` ends once the buffer is written.
    public func finish() {
        buffer.finish()
    }

    static func aggregateKey(_ p: Pending) -> AggregateKey {
        AggregateKey(uid: p.ownerUID, type: p.note.type.rawValue, reason: p.note.reason, message: p.note.message)
    }

    func write(_ p: Pending) async {
        let key = Self.aggregateKey(p)
        let stamp = Timestamp.format(p.time)
        if let existing = state.withLock({ $0.written[key] }) {
            do {
                _ = try await store.guaranteedUpdate(existing) { current in
                    var next = current
                    next.json["count"] = .int((current.json["count"]?.intValue ?? 1) + 1)
                    next.json["lastTimestamp"] = .string(stamp)
                    return next
                }
                return
            } catch StoreError.notFound {
                state.withLock { $0.written[key] = nil }
            } catch {
                logger.debug("could not update event", metadata: ["error": "\(error)"])
                return
            }
        }
        // Owned (not controlled) by the object, so its Events are collected with it.
        let owner = OwnerReference(
            apiVersion: p.ownerAPIVersion, kind: p.ownerKind, name: p.objectName, uid: p.ownerUID, controller: false,
            blockOwnerDeletion: false)
        // Built as one literal: each write through `Resource.json` reads the identity again.
        let event = Resource([
            "apiVersion": "v1", "kind": "Event",
            "metadata": [
                "name": .string(Self.name(for: p.objectName, at: p.time)), "namespace": .string(p.namespace),
                "ownerReferences": [owner.json],
            ],
            "involvedObject": p.involved, "reason": .string(p.note.reason), "message": .string(p.note.message),
            "type": .string(p.note.type.rawValue), "source": ["component": .string(Self.component), "host": .string(host)],
            "reportingComponent": .string(Self.component), "reportingInstance": .string(instance),
            "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": 1,
        ])
        do {
            let created = try await store.create(event)
            state.withLock { s in
                s.written[key] = created.key
                s.order.append(key)
                if s.order.count > memory {
                    let excess = s.order.count - memory
                    for k in s.order.prefix(excess) { s.written[k] = nil }
                    s.order.removeFirst(excess)
                }
            }
        } catch {
            logger.debug("could not record event", metadata: ["error": "\(error)", "reason": .string(p.note.reason)])
        }
    }

    static let counter = Atomic<UInt64>(0)

    /// `<object>.<hex>`, unique per process and time, as Kubernetes names events.
    static func name(for object: String, at time: Date) -> String {
        let nanos = UInt64(max(0, time.timeIntervalSince1970) * 1e9)
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let suffix = "." + String(nanos &+ n, radix: 16)
        var prefix = Substring(object.prefix(253 - suffix.count))
        while let last = prefix.last, last == "-" || last == "." { prefix = prefix.dropLast() }
        return prefix + suffix
    }
}
