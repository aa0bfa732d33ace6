import HeraldAPI

/// Decides a Channel's `CircuitOpen` condition from the breaker states workers report on
/// results. Pure: the result processor folds a batch into one observation per Channel and
/// writes only the Channels whose condition changes status or reason, so thousands of results a
/// second cost a write only when a breaker actually moves.
enum CircuitCondition {
    static let conditionType = "CircuitOpen"

    struct Observation: Sendable, Hashable {
        var state: CircuitState
        /// The last provider error seen for the Channel in the batch, if any.
        var lastError: String?
    }

    /// Codes that are the guards speaking, not the provider: they say nothing new about why.
    static let guardCodes: Set<String> = ["CircuitOpen", "RateLimited", "Canceled"]

    /// The latest state per Channel, in result order, with the last provider error.
    static func observations(_ results: [(channel: ObjectKey, result: DeliveryResult)]) -> [ObjectKey: Observation] {
        var out: [ObjectKey: Observation] = [:]
        for (channel, r) in results {
            var o = out[channel] ?? Observation(state: r.circuit, lastError: nil)
            o.state = r.circuit
            if r.outcome != .delivered, !guardCodes.contains(r.code) {
                o.lastError = r.message.isEmpty ? r.code : "\(r.code): \(r.message)"
            }
            out[channel] = o
        }
        return out
    }

    static func condition(for o: Observation) -> Condition {
        let last = o.lastError.map { " Last error: \($0)" } ?? ""
        switch o.state {
        case .open:
            return .isTrue(
                conditionType, "FailureThresholdReached",
                "the circuit breaker opened after repeated provider failures; jobs wait and are retried when it half-opens.\(last)")
        case .halfOpen:
            return .isTrue(conditionType, "HalfOpen", "one probe job is testing the provider; the others wait.\(last)")
        case .closed:
            return .isFalse(conditionType, "Closed", "the provider answers; jobs are sent.")
        }
    }

    /// The condition to write, or nil when the current one already has its status and reason
    /// (a new last error alone is not worth a write).
    static func change(current: JSON?, observation: Observation) -> Condition? {
        let desired = condition(for: observation)
        if let current, current["status"]?.stringValue == desired.status.rawValue,
            current["reason"]?.stringValue == desired.reason
        {
            return nil
        }
        return desired
    }
}
