import Foundation

/// Decides how a send that is due at some instant reaches the job queue on time.
///
/// RabbitMQ delays messages only in fixed tiers (`herald.retry.<tier>`, 1s 5s 30s 2m 10m 1h). The
/// controller holds a job in its own timer until the remaining delay equals a tier, then
/// publishes it into that tier, so it lands in the job queue when due: never early (a
/// provider's Retry-After is a floor), and late by at most `tolerance`. Sends further ahead than
/// the largest tier wait in the controller's timer (re-derived from `nextAttemptTime` in the
/// store after a restart); sends due sooner than the smallest tier wait there too.
public struct DelayTierPlanner: Sendable, Hashable {
    public enum Plan: Sendable, Hashable {
        /// Publish to the job queue now.
        case publishNow
        /// Publish now into the tier of this many seconds.
        case publishDelayed(tierSeconds: Double)
        /// Wait in the controller until this instant, then plan again.
        case hold(until: Date)
    }

    /// Tier lengths in seconds, ascending.
    public let tiers: [Double]
    /// How late a send may land to save a hop through the controller's timer.
    public let tolerance: Double

    public static let standardTiers: [Double] = [1, 5, 30, 120, 600, 3600]

    public init(tiers: [Double] = DelayTierPlanner.standardTiers, tolerance: Double = 0.25) {
        self.tiers = tiers.filter { $0 > 0 }.sorted()
        self.tolerance = max(0, tolerance)
    }

    /// The largest tier not longer than `remaining`, or nil when `remaining` is under the smallest.
    public func largestTier(notExceeding remaining: Double) -> Double? {
        tiers.last { $0 <= remaining }
    }

    public func plan(due: Date, now: Date) -> Plan {
        let remaining = due.timeIntervalSince(now)
        if remaining <= 0 { return .publishNow }
        // A tier that lands within [due, due + tolerance]: publish into it now.
        if let fit = tiers.last(where: { $0 >= remaining && $0 <= remaining + tolerance }) {
            return .publishDelayed(tierSeconds: fit)
        }
        // Otherwise wait until the remainder is exactly the largest tier that fits (or until due).
        if let tier = largestTier(notExceeding: remaining) {
            return .hold(until: due.addingTimeInterval(-tier))
        }
        return .hold(until: due)
    }
}
