import Metrics
import Synchronization

/// What the controller reports through swift-metrics (Prometheus in `herald`).
struct ControllerMetrics: Sendable {
    let reconciles: @Sendable (_ kind: String, _ ok: Bool) -> Void
    let results: @Sendable (_ outcome: String, _ applied: Bool) -> Void
    let published: @Sendable (_ count: Int, _ delayed: Bool) -> Void
    let deadLettered: @Sendable (_ reason: String) -> Void

    static let live: ControllerMetrics = {
        let counters = CounterCache()
        return ControllerMetrics(
            reconciles: { kind, ok in
                counters("herald_controller_reconciles_total", [("kind", kind), ("result", ok ? "ok" : "retry")]).increment()
            },
            results: { outcome, applied in
                counters("herald_controller_results_total", [("outcome", outcome), ("applied", applied ? "true" : "false")])
                    .increment()
            },
            published: { count, delayed in
                counters("herald_controller_jobs_published_total", [("delayed", delayed ? "true" : "false")]).increment(by: count)
            },
            deadLettered: { reason in
                counters("herald_controller_dead_letters_total", [("reason", reason)]).increment()
            })
    }()
}

/// Counter handles made once per label and dimensions: making one per increment cost a factory
/// lookup (a lock, sorting and hashing the dimensions) on every result and reconcile.
final class CounterCache: Sendable {
    private let made = Mutex<[String: Counter]>([:])

    func callAsFunction(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = dimensions.reduce(label) { $0 + "|" + $1.0 + "=" + $1.1 }
        return made.withLock { m in
            if let hit = m[key] { return hit }
            let counter = Counter(label: label, dimensions: dimensions)
            m[key] = counter
            return counter
        }
    }
}
