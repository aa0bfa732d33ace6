import Foundation
import Logging
import Synchronization

/// A deduplicating work queue with delayed adds and rate-limited retries, in the manner of
/// client-go's workqueue:
///
/// - a key added while waiting is queued once; a key added while being processed is queued
///   again when its processing is `done` (never processed by two workers at once);
/// - `add(_:after:)` holds a key until then (the earliest of several requests wins);
/// - `addRateLimited` retries a failed key after the `RateLimiter`'s delay.
///
/// Delayed keys wait in a heap driven by one timer task (`run`), so a million scheduled sends
/// cost no tasks.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    struct Delayed: Comparable {
        var at: Date
        var seq: UInt64
        var key: Key
        static func < (a: Delayed, b: Delayed) -> Bool { (a.at, a.seq) < (b.at, b.seq) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.at == b.at && a.seq == b.seq }
    }

    struct State {
        var queue: [Key] = []
        var head = 0
        var dirty = Set<Key>()
        var processing = Set<Key>()
        var waiters: [CheckedContinuation<Key?, Never>] = []
        var heap = MinHeap<Delayed>()
        /// The earliest pending delayed add per key; later requests for the same key are dropped.
        var scheduled: [Key: Date] = [:]
        var seq: UInt64 = 0
        var limiter: RateLimiter<Key>
        var shuttingDown = false
        var timer: CheckedContinuation<Void, Never>?
    }

    public let name: String
    let clock: any ControllerClock
    let state: Mutex<State>

    public init(name: String, limiter: RateLimiter<Key> = RateLimiter(), clock: any ControllerClock = SystemClock()) {
        self.name = name
        self.clock = clock
        state = Mutex(State(limiter: limiter))
    }

    // MARK: adding

    public func add(_ key: Key) {
        let waiter: CheckedContinuation<Key?, Never>? = state.withLock { s in
            Self.enqueue(key, &s)
        }
        waiter?.resume(returning: key)
    }

    /// Returns a waiter to hand the key to directly, if one is idle.
    private static func enqueue(_ key: Key, _ s: inout State) -> CheckedContinuation<Key?, Never>? {
        if s.shuttingDown || s.dirty.contains(key) { return nil }
        s.dirty.insert(key)
        if s.processing.contains(key) { return nil }
        if !s.waiters.isEmpty {
            s.dirty.remove(key)
            s.processing.insert(key)
            return s.waiters.removeFirst()
        }
        s.queue.append(key)
        return nil
    }

    public func add(_ key: Key, after delay: Double) {
        if delay <= 0 { return add(key) }
        add(key, at: clock.now().addingTimeInterval(delay))
    }

    public func add(_ key: Key, at date: Date) {
        if date <= clock.now() { return add(key) }
        let wake: CheckedContinuation<Void, Never>? = state.withLock { s in
            if s.shuttingDown { return nil }
            if let existing = s.scheduled[key], existing <= date { return nil }
            s.scheduled[key] = date
            s.seq &+= 1
            let earliest = s.heap.peek?.at
            s.heap.push(Delayed(at: date, seq: s.seq, key: key))
            // Wake the timer only when this key is due sooner than anything it waits for.
            if let earliest, earliest <= date { return nil }
            let t = s.timer
            s.timer = nil
            return t
        }
        wake?.resume()
    }

    /// Whether `key` waits for a time (`add(_:at:)`) and has not come due yet.
    public func isScheduled(_ key: Key) -> Bool {
        state.withLock { $0.scheduled[key] != nil }
    }

    /// Retries `key` after its backoff.
    public func addRateLimited(_ key: Key) {
        let delay = state.withLock { $0.limiter.when(key, now: clock.now()) }
        add(key, after: delay)
    }

    /// Clears `key`'s failure count (it was processed successfully).
    public func forget(_ key: Key) {
        state.withLock { $0.limiter.forget(key) }
    }

    public func failures(_ key: Key) -> Int {
        state.withLock { $0.limiter.failureCount(key) }
    }

    // MARK: processing

    /// The next key to process, waiting for one; nil once the queue shuts down.
    public func get() async -> Key? {
        await withCheckedContinuation { (c: CheckedContinuation<Key?, Never>) in
            let ready: Key?? = state.withLock { s in
                if s.head < s.queue.count {
                    let key = s.queue[s.head]
                    s.head += 1
                    if s.head > 1024 && s.head * 2 > s.queue.count {
                        s.queue.removeFirst(s.head)
                        s.head = 0
                    }
                    s.dirty.remove(key)
                    s.processing.insert(key)
                    return .some(key)
                }
                if s.shuttingDown { return .some(nil) }
                s.waiters.append(c)
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Marks `key` processed; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        let waiter: CheckedContinuation<Key?, Never>? = state.withLock { s in
            s.processing.remove(key)
            guard s.dirty.contains(key) else { return nil }
            s.dirty.remove(key)
            return Self.enqueue(key, &s)
        }
        waiter?.resume(returning: key)
    }

    public var length: Int { state.withLock { $0.queue.count - $0.head } }
    public var delayedCount: Int { state.withLock { $0.scheduled.count } }

    /// Stops handing out keys: waiting `get` calls return nil; keys being processed finish.
    public func shutDown() {
        let (waiters, timer) = state.withLock { s -> ([CheckedContinuation<Key?, Never>], CheckedContinuation<Void, Never>?) in
            s.shuttingDown = true
            let w = s.waiters
            s.waiters.removeAll()
            let t = s.timer
            s.timer = nil
            return (w, t)
        }
        for w in waiters { w.resume(returning: nil) }
        timer?.resume()
    }

    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Moves delayed keys into the queue when due. Runs until `shutDown` (cancelling the
    /// calling task shuts the queue down).
    public func run() async {
        await withTaskCancellationHandler {
            await timerLoop()
        } onCancel: {
            shutDown()
        }
    }

    private func timerLoop() async {
        while !isShuttingDown {
            let now = clock.now()
            var due: [Key] = []
            let next: Date? = state.withLock { s in
                while let top = s.heap.peek, top.at <= now {
                    _ = s.heap.pop()
                    // A stale heap entry (the key was rescheduled sooner and already added) is skipped.
                    if s.scheduled[top.key] == top.at {
                        s.scheduled[top.key] = nil
                        due.append(top.key)
                    }
                }
                return s.heap.peek?.at
            }
            for key in due { add(key) }
            await sleepUntil(next)
        }
    }

    /// Sleeps until `date` (forever when nil), or until an earlier key arrives or shutdown.
    private func sleepUntil(_ date: Date?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { s -> Bool in
                        if s.shuttingDown { return true }
                        if let date, date <= self.clock.now() { return true }
                        if let peek = s.heap.peek?.at, peek < (date ?? .distantFuture) { return true }
                        s.timer = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
            if let date {
                group.addTask {
                    try? await self.clock.sleep(until: date)
                    let t = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                        let t = s.timer
                        s.timer = nil
                        return t
                    }
                    t?.resume()
                }
            }
            await group.next()
            group.cancelAll()
            // Whichever finished first, make sure the other child can end.
            let t = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                let t = s.timer
                s.timer = nil
                return t
            }
            t?.resume()
        }
    }

    /// Runs `workers` concurrent loops over the queue until shutdown. `body` returns true when
    /// the key is done, false to retry it with backoff.
    public func process(workers: Int, _ body: @escaping @Sendable (Key) async -> Bool) async {
        await withTaskCancellationHandler {
            await processLoops(workers: workers, body)
        } onCancel: {
            shutDown()
        }
    }

    private func processLoops(workers: Int, _ body: @escaping @Sendable (Key) async -> Bool) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await self.get() {
                        if await body(key) {
                            self.forget(key)
                        } else {
                            self.addRateLimited(key)
                        }
                        self.done(key)
                    }
                }
            }
        }
    }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    var peek: Element? { items.first }
    var count: Int { items.count }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[i] < items[parent] {
                items.swapAt(i, parent)
                i = parent
            } else {
                break
            }
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
