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
        made.value(for: dimensions.reduce(label) { $0 + "|" + $1.0 + "=" + $1.1 }) { make(label, dimensions) }
    }
}
