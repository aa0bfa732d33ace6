import Foundation

/// How long a failing item waits before it is retried: per-item exponential backoff (so one
/// broken object does not spin) combined with an overall token bucket (so many failing objects
/// together cannot hammer the store). The larger of the two wins, as in client-go's default
/// controller rate limiter. Pure: time is passed in.
public struct RateLimiter<Key: Hashable & Sendable>: Sendable {
    public var baseDelay: Double
    public var maxDelay: Double
    /// Sustained retries per second across all items.
    public var perSecond: Double
    public var burst: Double

    var failures: [Key: Int] = [:]
    var tokens: Double
    var last: Date?

    public init(baseDelay: Double = 0.005, maxDelay: Double = 300, perSecond: Double = 50, burst: Double = 300) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.perSecond = perSecond
        self.burst = burst
        tokens = burst
    }

    /// The delay for another retry of `item`, counting this failure.
    public mutating func when(_ item: Key, now: Date) -> Double {
        let n = failures[item, default: 0]
        failures[item] = n + 1
        let exp = baseDelay * pow(2, Double(min(n, 60)))
        let itemDelay = min(maxDelay, exp.isFinite ? exp : maxDelay)
        return max(itemDelay, takeToken(now: now))
    }

    /// Forgets `item`'s failures (it succeeded).
    public mutating func forget(_ item: Key) {
        failures[item] = nil
    }

    public func failureCount(_ item: Key) -> Int { failures[item, default: 0] }

    /// Reserves a token and returns how long until it is available.
    mutating func takeToken(now: Date) -> Double {
        guard perSecond > 0 else { return 0 }
        if let last { tokens = min(burst, tokens + now.timeIntervalSince(last) * perSecond) }
        last = now
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / perSecond
    }
}
