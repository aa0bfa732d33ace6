import Synchronization

/// Values made once per key and kept: metric handles, template check answers, webhook signers.
/// Past `capacity` keys the memory is dropped whole and refilled from what is still asked for,
/// so keys that went out of use (a rotated secret, an edited template) do not pile up. A value
/// is made under the lock, so each key is made once even when many ask at the same time.
public final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let memory = Mutex<[Key: Value]>([:])
    public let capacity: Int

    public init(capacity: Int = .max) {
        self.capacity = max(1, capacity)
    }

    public func value<E: Error>(for key: Key, make: () throws(E) -> Value) throws(E) -> Value {
        try memory.withLock { (m: inout [Key: Value]) throws(E) -> Value in
            if let known = m[key] { return known }
            let made = try make()
            if m.count >= capacity { m.removeAll(keepingCapacity: true) }
            m[key] = made
            return made
        }
    }
}
