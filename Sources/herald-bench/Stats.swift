import Foundation

/// Latency samples in seconds, summarised as percentiles.
struct Samples: Sendable {
    var values: [Double] = []

    mutating func add(_ v: Double) { values.append(v) }
    mutating func add(contentsOf other: Samples) { values += other.values }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    var summary: String {
        String(
            format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", percentile(50) * 1000, percentile(99) * 1000,
            (values.max() ?? .nan) * 1000, values.count)
    }
}

func now() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
