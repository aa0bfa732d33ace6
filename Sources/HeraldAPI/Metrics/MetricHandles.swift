/// Metric handles (counters, timers, gauges) made once per label and dimensions. Making one goes
/// through the metrics factory's registry (a lock, sorting and hashing the dimensions), which
/// per request, result or delivery showed up in profiles. Generic over the handle so this module
/// needs no metrics dependency.
public final class MetricHandles<Handle: Sendable>: Sendable {
    private let made = Memo<Key, Handle>()

    public init() {}

    /// The handle for `label` and `dimensions`, made by `make` the first time.
    public func callAsFunction(
        _ label: String, _ dimensions: [(String, String)], make: (String, [(String, String)]) -> Handle
    ) -> Handle {
        made.value(for: Key(label: label, dimensions: dimensions)) { make(label, dimensions) }
    }

    /// Hashes and compares the caller's strings where they are: a key spelled into one string
    /// cost an allocation per request, result or delivery.
    struct Key: Hashable, Sendable {
        let label: String
        let dimensions: [(String, String)]

        static func == (a: Key, b: Key) -> Bool {
            a.label == b.label && a.dimensions.count == b.dimensions.count
                && zip(a.dimensions, b.dimensions).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(label)
            hasher.combine(dimensions.count)
            for (name, value) in dimensions {
                hasher.combine(name)
                hasher.combine(value)
            }
        }
    }
}
