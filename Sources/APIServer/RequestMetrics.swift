import Metrics
import Synchronization

/// Request counters and latency timers, created once per label set rather than per request
/// (creating a metric goes through the factory's registry lock every time).
final class RequestMetrics: Sendable {
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])

    func record(verb: String, resource: String, code: String, nanoseconds: Int64?) {
        let key = "\(verb)|\(resource)|\(code)"
        let counter = counters.withLock { cache in
            if let c = cache[key] { return c }
            let c = Counter(label: "herald_apiserver_requests_total", dimensions: [("verb", verb), ("resource", resource), ("code", code)])
            cache[key] = c
            return c
        }
        counter.increment()
        guard let nanoseconds else { return }
        let timerKey = "\(verb)|\(resource)"
        let timer = timers.withLock { cache in
            if let t = cache[timerKey] { return t }
            let t = Timer(
                label: "herald_apiserver_request_duration_seconds", dimensions: [("verb", verb), ("resource", resource)],
                preferredDisplayUnit: .seconds)
            cache[timerKey] = t
            return t
        }
        timer.recordNanoseconds(nanoseconds)
    }
}
