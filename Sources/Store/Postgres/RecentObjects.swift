import HeraldAPI
import Synchronization

/// The objects this process wrote most recently, as written. A group commit loads every object
/// it is about to change; when the stored row's resourceVersion is the one written here, the
/// copy is reused instead of parsing the body again (a result's status write is usually the next
/// write of an object this process created a moment before). A resourceVersion names exactly
/// one state, so a copy can only be reused when it is byte for byte what is stored.
final class RecentObjects: Sendable {
    private struct State {
        var objects: [ObjectKey: Resource] = [:]
        /// Insertion order, to forget the oldest first; may hold keys already replaced or removed.
        var order: [ObjectKey] = []
        var head = 0
    }

    private let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
        // It fills up under any load; growing there rehashed every key held, several times over.
        var initial = State()
        initial.objects.reserveCapacity(self.capacity)
        initial.order.reserveCapacity(self.capacity)
        state = Mutex(initial)
    }

    /// The object when its remembered copy is at `resourceVersion`.
    func object(_ key: ObjectKey, at resourceVersion: Int64) -> Resource? {
        state.withLock { s in
            guard let r = s.objects[key], r.resourceVersion == resourceVersion else { return nil }
            return r
        }
    }

    /// The newest remembered copy of the object, whatever its resourceVersion.
    func latest(_ key: ObjectKey) -> Resource? {
        state.withLock { $0.objects[key] }
    }

    /// Remembers what a committed batch wrote; removed objects are forgotten.
    func remember(_ events: [StoreEvent]) {
        state.withLock { s in
            for e in events {
                if e.type == .deleted {
                    s.objects[e.key] = nil
                    continue
                }
                if s.objects.updateValue(e.object, forKey: e.key) == nil { s.order.append(e.key) }
            }
            // Forget the oldest once past capacity; compact the order list now and then.
            while s.objects.count > capacity, s.head < s.order.count {
                s.objects[s.order[s.head]] = nil
                s.head += 1
            }
            if s.head > capacity {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }
}
