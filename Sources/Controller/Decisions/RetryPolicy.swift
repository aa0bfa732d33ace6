import Foundation
import HeraldAPI

/// How the delay before the next attempt is randomised. Full jitter spreads retries of many
/// deliveries that failed together (a provider outage) so they do not return as one burst.
public enum Jitter: String, Sendable, Hashable, CaseIterable {
    /// Uniform in [0, delay].
    case full
    /// delay/2 plus uniform in [0, delay/2]: never shorter than half the delay.
    case equal
    /// Exactly the delay.
    case none
}

/// A Delivery's retry policy: the Channel's `spec.retry` defaults, overridden field by field by
/// the Notification's `spec.retry` (architecture.md, "Backoff").
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts before a delivery fails, counting the first.
    public var maxAttempts: Int
    /// Seconds before the second attempt.
    public var initialBackoff: Double
    /// Upper bound of any computed delay, in seconds (Retry-After may exceed it).
    public var maxBackoff: Double
    public var multiplier: Double
    public var jitter: Jitter

    public init(maxAttempts: Int, initialBackoff: Double, maxBackoff: Double, multiplier: Double, jitter: Jitter) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = max(0, initialBackoff)
        self.maxBackoff = max(0, maxBackoff)
        self.multiplier = max(1, multiplier)
        self.jitter = jitter
    }

    /// Used when neither the Channel nor the Notification says otherwise.
    public static let `default` = RetryPolicy(maxAttempts: 6, initialBackoff: 1, maxBackoff: 600, multiplier: 2, jitter: .full)

    /// The policy for a delivery: defaults, then the Channel's `spec.retry`, then the
    /// Notification's `spec.retry`. Fields that are absent or unreadable keep the earlier value.
    public static func resolve(channelRetry: JSON?, notificationRetry: JSON?, defaults: RetryPolicy = .default) -> RetryPolicy {
        var policy = defaults
        for layer in [channelRetry, notificationRetry] {
            guard let layer, case .object = layer else { continue }
            policy.apply(layer)
        }
        return policy
    }

    mutating func apply(_ json: JSON) {
        if let n = json["maxAttempts"]?.intValue, n >= 1 { maxAttempts = Int(min(n, 1000)) }
        if let d = json["initialBackoff"]?.stringValue.flatMap(HeraldAPI.Duration.parse) { initialBackoff = d }
        if let d = json["maxBackoff"]?.stringValue.flatMap(HeraldAPI.Duration.parse) { maxBackoff = d }
        if let m = json["multiplier"]?.doubleValue, m >= 1 { multiplier = m }
        if let j = json["jitter"]?.stringValue.flatMap(Jitter.init(rawValue:)) { jitter = j }
    }

    /// `min(maxBackoff, initialBackoff × multiplier^(attempt−1))` before jitter, where `attempt`
    /// is the attempt that just failed (1-based).
    public func baseDelay(afterAttempt attempt: Int) -> Double {
        let exponent = Double(max(0, attempt - 1))
        let raw = initialBackoff * pow(multiplier, exponent)
        // pow overflows to +inf for long runs of attempts; min keeps the cap.
        return raw.isFinite ? min(maxBackoff, raw) : maxBackoff
    }

    /// The delay before the attempt after `attempt`, jittered with `random`, with the provider's
    /// `Retry-After` as a floor (a provider that asked for 30 s is never called back sooner).
    public func delay(afterAttempt attempt: Int, retryAfter: Double? = nil, random: any RandomSource) -> Double {
        let base = baseDelay(afterAttempt: attempt)
        let jittered: Double
        switch jitter {
        case .full: jittered = base * random.unit()
        case .equal: jittered = base / 2 + (base / 2) * random.unit()
        case .none: jittered = base
        }
        guard let retryAfter, retryAfter > 0 else { return jittered }
        return max(jittered, retryAfter)
    }

    /// Whether another attempt follows `attempt`.
    public func allowsAttempt(after attempt: Int) -> Bool { attempt < maxAttempts }
}
