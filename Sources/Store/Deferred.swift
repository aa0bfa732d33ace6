import Synchronization

/// A value at hand, or one computed on first use, once, by whichever thread asks first; copies
/// share the computed value.
enum Deferred<Value: Sendable>: Sendable {
    case value(Value)
    case pending(Memo)

    static func deferred(_ compute: @escaping @Sendable () -> Value) -> Self {
        .pending(Memo(compute))
    }

    var value: Value {
        switch self {
        case .value(let v): v
        case .pending(let memo): memo.value
        }
    }

    final class Memo: Sendable {
        private enum State {
            case pending(@Sendable () -> Value)
            case done(Value)
        }

        private let state: Mutex<State>

        init(_ compute: @escaping @Sendable () -> Value) {
            state = Mutex(.pending(compute))
        }

        /// Computes under the lock, so concurrent readers wait for the one computation; dropping
        /// the closure afterwards frees whatever it held.
        var value: Value {
            state.withLock { s in
                switch s {
                case .done(let v): return v
                case .pending(let compute):
                    let v = compute()
                    s = .done(v)
                    return v
                }
            }
        }
    }
}
