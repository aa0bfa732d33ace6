/// A fixed delay that RabbitMQ can apply with a per-queue message TTL.
///
/// RabbitMQ (without plugins) cannot delay a single message by an arbitrary amount, so delays are
/// quantised into tiers, each backed by one `herald.retry.<tier>` queue. The controller picks
/// ``largest(notExceeding:)`` of the remaining delay and, when the message comes back early,
/// delays it again with the remainder until that is shorter than the smallest tier.
public enum DelayTier: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case oneSecond = "1s"
    case fiveSeconds = "5s"
    case thirtySeconds = "30s"
    case twoMinutes = "2m"
    case tenMinutes = "10m"
    case oneHour = "1h"

    /// How long a message waits in this tier.
    public var duration: Duration {
        .milliseconds(milliseconds)
    }

    /// The tier's delay in milliseconds, the unit of RabbitMQ's `x-message-ttl`.
    public var milliseconds: Int64 {
        switch self {
        case .oneSecond: 1_000
        case .fiveSeconds: 5_000
        case .thirtySeconds: 30_000
        case .twoMinutes: 120_000
        case .tenMinutes: 600_000
        case .oneHour: 3_600_000
        }
    }

    /// The longest tier that does not exceed `remaining`, or `nil` when `remaining` is shorter
    /// than the smallest tier (the caller should then send now, or wait in-process).
    public static func largest(notExceeding remaining: Duration) -> DelayTier? {
        // allCases is ordered shortest first; scanning from the end finds the largest fit.
        allCases.last { $0.duration <= remaining }
    }

    public static func < (lhs: DelayTier, rhs: DelayTier) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    public var description: String { rawValue }
}
