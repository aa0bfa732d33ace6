import HeraldAPI
import Metrics

/// What the controller reports through swift-metrics (Prometheus in `herald`).
struct ControllerMetrics: Sendable {
    let reconciles: @Sendable (_ kind: String, _ ok: Bool) -> Void
    let results: @Sendable (_ outcome: String, _ applied: Bool) -> Void
    let published: @Sendable (_ count: Int, _ delayed: Bool) -> Void
    let deadLettered: @Sendable (_ reason: String) -> Void

    static let live: ControllerMetrics = {
        let handles = MetricHandles<Counter>()
        let counters: @Sendable (String, [(String, String)]) -> Counter = { label, dimensions in
            handles(label, dimensions) { Counter(label: $0, dimensions: $1) }
        }
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
