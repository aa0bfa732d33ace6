import Synchronization

/// What a store transform decided or saw, kept for its caller: the transform runs inside the
/// store's write and hands back only the object. When a conflict makes it run again, the last
/// try's value stays, which is the one the write was made from.
final class TransformSlot<Value: Sendable>: Sendable {
    private let kept = Mutex<Value?>(nil)

    func set(_ value: Value) { kept.withLock { $0 = value } }

    /// Nil until the transform has run.
    var value: Value? { kept.withLock { $0 } }
}
