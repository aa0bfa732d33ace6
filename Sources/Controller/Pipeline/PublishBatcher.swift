import HeraldAPI
import Logging
import Synchronization

/// Coalesces publishes from many concurrent reconcilers into few broker calls: jobs that arrive
/// while a publish is in flight go out together in the next one, so one confirm window covers
/// many jobs (the same group-commit idea as the store's writes).
final class PublishBatcher: Sendable {
    struct Pending: Sendable {
        var jobs: [DeliveryJob]
        var delay: Double?
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var pending: [Pending] = []
        var flushing = false
    }

    let publisher: any JobPublisher
    let maxBatch: Int
    let metrics: ControllerMetrics
    let state = Mutex(State())

    init(publisher: any JobPublisher, maxBatch: Int = 1000, metrics: ControllerMetrics = .live) {
        self.publisher = publisher
        self.metrics = metrics
        self.maxBatch = max(1, maxBatch)
    }

    /// Publishes `jobs` (now, or into the delay tier of `delaySeconds`); returns once confirmed.
    func publish(_ jobs: [DeliveryJob], delaySeconds: Double?) async throws {
        guard !jobs.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { s -> Bool in
                s.pending.append(Pending(jobs: jobs, delay: delaySeconds, continuation: c))
                if s.flushing { return false }
                s.flushing = true
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { s -> [Pending] in
                let b = s.pending
                s.pending.removeAll(keepingCapacity: true)
                if b.isEmpty { s.flushing = false }
                return b
            }
            if batch.isEmpty { return }
            // One broker call per delay (tier), in chunks of maxBatch.
            var groups: [Double?: [Int]] = [:]
            for (i, p) in batch.enumerated() { groups[p.delay, default: []].append(i) }
            var failures: [Int: any Error] = [:]
            for (delay, members) in groups {
                var chunk: [DeliveryJob] = []
                var chunkMembers: [Int] = []
                func send() async {
                    do {
                        try await publisher.publish(chunk, delaySeconds: delay)
                        metrics.published(chunk.count, delay != nil)
                    } catch {
                        for m in chunkMembers { failures[m] = error }
                    }
                    chunk.removeAll(keepingCapacity: true)
                    chunkMembers.removeAll(keepingCapacity: true)
                }
                for m in members {
                    chunk += batch[m].jobs
                    chunkMembers.append(m)
                    if chunk.count >= maxBatch { await send() }
                }
                if !chunk.isEmpty { await send() }
            }
            for (i, p) in batch.enumerated() {
                if let error = failures[i] {
                    p.continuation.resume(throwing: error)
                } else {
                    p.continuation.resume()
                }
            }
        }
    }
}
