import Synchronization

/// A hand-off between one producer and one consumer that takes items in batches: the consumer
/// waits for at least one item, then takes everything available up to a maximum. Under load
/// batches grow by themselves; when idle each item goes alone, at once.
final class BatchBuffer<Element: Sendable>: Sendable {
    struct State {
        var items: [Element] = []
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let state = Mutex(State())
    let capacity: Int

    /// - Parameter capacity: items held at most; `append` refuses more.
    init(capacity: Int = .max) {
        self.capacity = capacity
    }

    /// False when the buffer is full or finished: the item was not taken.
    @discardableResult
    func append(_ item: Element) -> Bool {
        var taken = true
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.finished, s.items.count < capacity else {
                taken = false
                return nil
            }
            s.items.append(item)
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
        return taken
    }

    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Up to `max` items, waiting for the first; nil when finished and drained (or cancelled).
    func next(max: Int) async -> [Element]? {
        await withTaskCancellationHandler {
            await take(max: max)
        } onCancel: {
            finish()
        }
    }

    private func take(max: Int) async -> [Element]? {
        while true {
            let taken = state.withLock { s -> [Element]? in
                if s.items.isEmpty { return s.finished ? [] : nil }
                let n = min(max, s.items.count)
                let batch = Array(s.items.prefix(n))
                s.items.removeFirst(n)
                return batch
            }
            if let taken { return taken.isEmpty ? nil : taken }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if !s.items.isEmpty || s.finished { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }
}
