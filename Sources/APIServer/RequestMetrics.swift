import HeraldAPI
import Metrics

/// Request counters and latency timers, made once per label set (`MetricHandles`) rather than
/// per request.
final class RequestMetrics: Sendable {
    private let counters = MetricHandles<Counter>()
    private let timers = MetricHandles<Timer>()

    func record(verb: String, resource: String, code: String, nanoseconds: Int64?) {
        counters("herald_apiserver_requests_total", [("verb", verb), ("resource", resource), ("code", code)]) {
            Counter(label: $0, dimensions: $1)
        }.increment()
        guard let nanoseconds else { return }
        timers("herald_apiserver_request_duration_seconds", [("verb", verb), ("resource", resource)]) {
            Timer(label: $0, dimensions: $1, preferredDisplayUnit: .seconds)
        }.recordNanoseconds(nanoseconds)
    }
}
