import Metrics

/// What the controller reports through swift-metrics (Prometheus in `herald`).
struct ControllerMetrics: Sendable {
    let reconciles: @Sendable (_ kind: String, _ ok: Bool) -> Void
    let results: @Sendable (_ outcome: String, _ applied: Bool) -> Void
    let published: @Sendable (_ count: Int, _ delayed: Bool) -> Void
    let deadLettered: @Sendable (_ reason: String) -> Void

    static let live = ControllerMetrics(
        reconciles: { kind, ok in
            Counter(label: "herald_controller_reconciles_total", dimensions: [("kind", kind), ("result", ok ? "ok" : "retry")])
                .increment()
        },
        results: { outcome, applied in
            Counter(
                label: "herald_controller_results_total", dimensions: [("outcome", outcome), ("applied", applied ? "true" : "false")]
            ).increment()
        },
        published: { count, delayed in
            Counter(label: "herald_controller_jobs_published_total", dimensions: [("delayed", delayed ? "true" : "false")])
                .increment(by: count)
        },
        deadLettered: { reason in
            Counter(label: "herald_controller_dead_letters_total", dimensions: [("reason", reason)]).increment()
        })
}
