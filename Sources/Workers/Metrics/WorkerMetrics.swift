import CoreMetrics
import HeraldAPI
import Synchronization

/// The workers' metrics (swift-metrics, so any backend works; `herald` bootstraps Prometheus):
///
/// - `herald_deliveries_total{channel_type,outcome}` counter
/// - `herald_delivery_duration_seconds{channel_type,outcome}` timer (a histogram in Prometheus)
/// - `herald_circuit_breaker_state{namespace,channel}` gauge: 0 closed, 1 half-open, 2 open
/// - `herald_rate_limited_total{channel_type,action}` counter: sends that waited or were deferred
///
/// The factory is injected so tests observe metrics without touching the global bootstrap.
/// Handles are cached because creating one per delivery costs a factory lookup each time.
public final class WorkerMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])

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
        let dims = [("namespace", namespace), ("channel", channel)]
        let key = Self.key("herald_circuit_breaker_state", dims)
        let gauge = gauges.withLock { g in
            if let hit = g[key] { return hit }
            let made = Gauge(label: "herald_circuit_breaker_state", dimensions: dims, factory: factory)
            g[key] = made
            return made
        }
        gauge.record(value)
    }

    /// `action` is `waited` (held back inside the worker) or `deferred` (sent back to the
    /// controller with a retryAfter).
    public func rateLimited(channelType: String, action: String) {
        counter("herald_rate_limited_total", [("channel_type", channelType), ("action", action)]).increment()
    }

    private func counter(_ label: String, _ dims: [(String, String)]) -> CoreMetrics.Counter {
        let key = Self.key(label, dims)
        return counters.withLock { c in
            if let hit = c[key] { return hit }
            let made = CoreMetrics.Counter(label: label, dimensions: dims, factory: factory)
            c[key] = made
            return made
        }
    }

    private func timer(_ label: String, _ dims: [(String, String)]) -> CoreMetrics.Timer {
        let key = Self.key(label, dims)
        return timers.withLock { t in
            if let hit = t[key] { return hit }
            let made = CoreMetrics.Timer(label: label, dimensions: dims, preferredDisplayUnit: .seconds, factory: factory)
            t[key] = made
            return made
        }
    }

    private static func key(_ label: String, _ dims: [(String, String)]) -> String {
        dims.reduce(label) { $0 + "|" + $1.0 + "=" + $1.1 }
    }
}
