import CoreMetrics
import HeraldAPI

/// The workers' metrics (swift-metrics, so any backend works; `herald` bootstraps Prometheus):
///
/// - `herald_deliveries_total{channel_type,outcome}` counter
/// - `herald_delivery_duration_seconds{channel_type,outcome}` timer (a histogram in Prometheus)
/// - `herald_circuit_breaker_state{namespace,channel}` gauge: 0 closed, 1 half-open, 2 open
/// - `herald_rate_limited_total{channel_type,action}` counter: sends that waited or were deferred
///
/// The factory is injected so tests observe metrics without touching the global bootstrap.
/// Handles are made once per label and dimensions (`MetricHandles`).
public final class WorkerMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = MetricHandles<CoreMetrics.Counter>()
    private let timers = MetricHandles<CoreMetrics.Timer>()
    private let gauges = MetricHandles<Gauge>()

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    public func delivery(channelType: String, outcome: DeliveryOutcome, seconds: Double) {
        let dims = [("channel_type", channelType), ("outcome", outcome.rawValue)]
        counter("herald_deliveries_total", dims).increment()
        timer("herald_delivery_duration_seconds", dims).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    public func circuit(namespace: String, channel: String, state: CircuitState) {
        let value: Int
        switch state {
        case .closed: value = 0
        case .halfOpen: value = 1
        case .open: value = 2
        }
        gauges("herald_circuit_breaker_state", [("namespace", namespace), ("channel", channel)]) {
            Gauge(label: $0, dimensions: $1, factory: factory)
        }.record(value)
    }

    /// `action` is `waited` (held back inside the worker) or `deferred` (sent back to the
    /// controller with a retryAfter).
    public func rateLimited(channelType: String, action: String) {
        counter("herald_rate_limited_total", [("channel_type", channelType), ("action", action)]).increment()
    }

    private func counter(_ label: String, _ dims: [(String, String)]) -> CoreMetrics.Counter {
        counters(label, dims) { CoreMetrics.Counter(label: $0, dimensions: $1, factory: factory) }
    }

    private func timer(_ label: String, _ dims: [(String, String)]) -> CoreMetrics.Timer {
        timers(label, dims) { CoreMetrics.Timer(label: $0, dimensions: $1, preferredDisplayUnit: .seconds, factory: factory) }
    }
}
