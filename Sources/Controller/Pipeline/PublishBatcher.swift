import Broker
import HeraldAPI
import Logging

/// Coalesces publishes from many concurrent reconcilers into few broker calls: jobs that arrive
/// while a publish is in flight go out together in the next one (`GroupCommit`), so one confirm
/// window covers many jobs (the same group-commit idea as the store's writes).
final class PublishBatcher: Sendable {
    struct Pending: Sendable {
        var jobs: [DeliveryJob]
        var delay: Double?
    }

    let commits: GroupCommit<Pending, Void>

    init(publisher: any JobPublisher, maxBatch: Int = 1000, metrics: ControllerMetrics = .live) {
        let maxBatch = max(1, maxBatch)
        commits = GroupCommit(failures: { batch in await Self.publish(batch, publisher: publisher, maxBatch: maxBatch, metrics: metrics) })
    }

    /// Publishes `jobs` (now, or into the delay tier of `delaySeconds`); returns once confirmed.
    func publish(_ jobs: [DeliveryJob], delaySeconds: Double?) async throws {
        guard !jobs.isEmpty else { return }
        try await commits.submit(Pending(jobs: jobs, delay: delaySeconds))
    }

    /// One broker call per delay (tier), in chunks of maxBatch; each caller gets the outcome of
    /// the chunks carrying its jobs.
    static func publish(
        _ batch: [Pending], publisher: any JobPublisher, maxBatch: Int, metrics: ControllerMetrics
    ) async -> [(any Error)?] {
        var groups: [Double?: [Int]] = [:]
        for (i, p) in batch.enumerated() { groups[p.delay, default: []].append(i) }
        var failures: [(any Error)?] = Array(repeating: nil, count: batch.count)
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
        return failures
    }
}
