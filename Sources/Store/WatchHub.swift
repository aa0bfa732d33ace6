import HeraldAPI
import Synchronization

/// Fans committed events out to watchers and keeps a window of recent events so a watch can resume
/// from any resourceVersion still in it. Events must be published in resourceVersion order.
public final class WatchHub: Sendable {
    struct Subscriber {
        let continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation
    }

    struct State {
        var window: [StoreEvent] = []
        var head = 0
        /// Every event after this resourceVersion is in the window (or still to come).
        var compactedThrough: Int64
        var lastPublished: Int64
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
    }

    let capacity: Int
    let bufferPerWatcher: Int
    let state: Mutex<State>

    /// - Parameters:
    ///   - startingAt: the store's resourceVersion when the hub starts; history before it is not kept.
    ///   - capacity: events kept for resuming watches.
    public init(startingAt resourceVersion: Int64, capacity: Int = 50_000, bufferPerWatcher: Int = 20_000) {
        self.capacity = capacity
        self.bufferPerWatcher = bufferPerWatcher
        state = Mutex(State(compactedThrough: resourceVersion, lastPublished: resourceVersion))
    }

    public var lastPublished: Int64 { state.withLock { $0.lastPublished } }

    public func publish(_ events: [StoreEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { s in
            for event in events {
                if s.window.count < capacity {
                    s.window.append(event)
                } else {
                    s.compactedThrough = s.window[s.head].resourceVersion
                    s.window[s.head] = event
                    s.head = (s.head + 1) % capacity
                }
                s.lastPublished = event.resourceVersion
                var slow: [Int] = []
                var gone: [Int] = []
                for (id, sub) in s.subscribers {
                    switch sub.continuation.yield(event) {
                    case .dropped: slow.append(id)
                    case .terminated: gone.append(id)
                    case .enqueued: break
                    @unknown default: break
                    }
                }
                for id in gone { s.subscribers.removeValue(forKey: id) }
                for id in slow {
                    // A watcher that cannot keep up is ended; it re-lists, as with any expired watch.
                    s.subscribers.removeValue(forKey: id)?.continuation.finish(
                        throwing: StoreError.expired(requested: event.resourceVersion, oldest: s.compactedThrough))
                }
            }
        }
    }

    /// Events after `resourceVersion`: first those still in the window, then live ones.
    public func subscribe(after resourceVersion: Int64) throws -> AsyncThrowingStream<StoreEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(bufferPerWatcher))
        try state.withLock { s in
            if resourceVersion < s.compactedThrough {
                throw StoreError.expired(requested: resourceVersion, oldest: s.compactedThrough)
            }
            let ordered = s.window[s.head...] + s.window[..<s.head]
            for event in ordered where event.resourceVersion > resourceVersion {
                if case .dropped = continuation.yield(event) {
                    continuation.finish(throwing: StoreError.expired(requested: resourceVersion, oldest: s.compactedThrough))
                    return
                }
            }
            s.subscribers[s.nextID] = Subscriber(continuation: continuation)
            s.nextID += 1
        }
        // No onTermination handler on purpose: it would take `state`'s lock from inside the
        // runtime's task-cancellation lock, while `publish` resumes waiting tasks (which takes
        // that task lock) under `state`'s lock — a lock-order inversion that froze a server under
        // load, and a self-deadlock when `publish` finishes a slow watcher. A watcher that went
        // away is dropped by the next `publish`, when its yield answers `.terminated`.
        return stream
    }

    /// Ends every watch (shutdown).
    public func finishAll() {
        let subs = state.withLock { s in
            let subs = s.subscribers.values
            s.subscribers.removeAll()
            return Array(subs)
        }
        for sub in subs { sub.continuation.finish() }
    }
}
