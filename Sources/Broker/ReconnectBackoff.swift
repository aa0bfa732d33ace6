import Foundation

/// Exponential backoff between reconnection attempts, with jitter so that many Herald processes
/// do not reconnect in lockstep after a broker restart.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(30), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(1, multiplier)
    }

    /// The delay before attempt `attempt` (0-based): a random value in [d/2, d] where
    /// d = min(maximum, initial × multiplier^attempt).
    public func delay(forAttempt attempt: Int) -> Duration {
        let initialSeconds = Self.seconds(initial)
        let ceiling = min(Self.seconds(maximum), initialSeconds * pow(multiplier, Double(min(attempt, 64))))
        return .milliseconds(Int64(Double.random(in: (ceiling / 2)...max(ceiling / 2, ceiling)) * 1000))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
