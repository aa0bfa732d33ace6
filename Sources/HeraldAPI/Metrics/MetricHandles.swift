/// Metric handles (counters, timers, gauges) made once per label and dimensions. Making one goes
/// through the metrics factory's registry (a lock, sorting and hashing the dimensions), which
/// per request, result or delivery showed up in profiles. Generic over the handle so this module
/// needs no metrics dependency.
public final class MetricHandles<Handle: Sendable>: Sendable {
    private let made = Memo<String, Handle>()

    public init() {}

    /// The handle for `label` and `dimensions`, made by `make` the first time.
    public func callAsFunction(
        _ label: String, _ dimensions: [(String, String)], make: (String, [(String, String)]) -> Handle
    ) -> Handle {
        // Spelled into one string of the right size: joining piece by piece made a string per
        // piece, on every delivery.
        var key = ""
        key.reserveCapacity(dimensions.reduce(label.utf8.count) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 })
        key += label
        for (name, value) in dimensions {
            key += "|"
            key += name
            key += "="
            key += value
        }
        return made.value(for: key) { make(label, dimensions) }
    }
}
