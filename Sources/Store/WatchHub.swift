import HeraldAPI
import Synchronization

/// Fans committed events out to watchers and keeps a window of recent events so a watch can resume
/// from any resourceVersion still in it. Events must be published in resourceVersion order.
///
/// A watcher's filter (kind, namespace, selectors) runs here, as events are published, so each
/// event crosses one stream to reach its reader: every extra stream between them cost a yield,
/// a task resumption and often a thread wake-up per event.
public final class WatchHub: Sendable {
    /// What a watcher keeps of an event: the event, changed (a selector's ADDED or DELETED), or nil.
    public typealias Filter = @Sendable (StoreEvent) -> StoreEvent?

    struct Subscriber {
        let continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation
        /// A watch from a resourceVersion the hub has not published yet skips events up to it.
        let skipThrough: Int64
        let filter: Filter?
        /// Set when the reader goes away. A filter may keep every later event from a watcher, so
        /// a failed yield alone would never reveal that it left.
        let ended: Ended

        func offer(_ event: StoreEvent) -> AsyncThrowingStream<StoreEvent, any Error>.Continuation.YieldResult? {
            guard event.resourceVersion > skipThrough else { return nil }
            guard let filter else { return continuation.yield(event) }
            guard let kept = filter(event) else { return nil }
            return continuation.yield(kept)
        }
    }

    final class Ended: Sendable {
        let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
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
        var initial = State(compactedThrough: resourceVersion, lastPublished: resourceVersion)
        // The window fills up under any load; growing it there moved every event held, several
        // times over (about 2 % of a busy controller's time, page faults included).
        initial.window.reserveCapacity(capacity)
        state = Mutex(initial)
    }

    public var lastPublished: Int64 { state.withLock { $0.lastPublished } }

    /// Watchers still subscribed (one that left is dropped by the next publish).
    var watcherCount: Int { state.withLock { $0.subscribers.count } }

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
                    if sub.ended.isSet {
                        gone.append(id)
                        continue
                    }
                    switch sub.offer(event) {
                    case .dropped: slow.append(id)
                    case .terminated: gone.append(id)
                    case .enqueued, nil: break
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
        try subscribe(after: resourceVersion, prefix: [], filter: nil)
    }

    /// `prefix` first (a list turned into ADDED events), then the events after `resourceVersion`
    /// still in the window, then live ones; all but `prefix` pass through `filter`.
    public func subscribe(after resourceVersion: Int64, prefix: [StoreEvent], filter: Filter?) throws
        -> AsyncThrowingStream<StoreEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(bufferPerWatcher + prefix.count))
        let ended = Ended()
        continuation.onTermination = { _ in ended.flag.store(true, ordering: .relaxed) }
        try state.withLock { s in
            if resourceVersion < s.compactedThrough {
                throw StoreError.expired(requested: resourceVersion, oldest: s.compactedThrough)
            }
            for event in prefix { continuation.yield(event) }
            let subscriber = Subscriber(
                continuation: continuation, skipThrough: resourceVersion, filter: filter, ended: ended)
            let ordered = s.window[s.head...] + s.window[..<s.head]
            for event in ordered where event.resourceVersion > resourceVersion {
                if case .dropped = subscriber.offer(event) {
                    continuation.finish(throwing: StoreError.expired(requested: resourceVersion, oldest: s.compactedThrough))
                    return
                }
            }
            s.subscribers[s.nextID] = subscriber
            s.nextID += 1
        }
        // The termination handler only sets a flag: taking `state`'s lock there (from inside the
        // runtime's task-cancellation lock, while `publish` resumes waiting tasks under `state`'s
        // lock) was a lock-order inversion that froze a server under load, and a self-deadlock
        // when `publish` finishes a slow watcher. The next `publish` drops a watcher that left.
        return stream
    }

    /// Ends every watch (shutdown).
    public func finishAll() {
        for sub in takeSubscribers() { sub.continuation.finish() }
    }

    /// Ends every watch with `error`: a silent end would read as "no more changes", so a hub that
    /// lost events ends its watches as expired and their clients re-list.
    public func failAll(_ error: any Error) {
        for sub in takeSubscribers() { sub.continuation.finish(throwing: error) }
    }

    private func takeSubscribers() -> [Subscriber] {
        state.withLock { s in
            let subs = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return subs
        }
    }
}
