import HeraldAPI

/// A token bucket (`perSecond` sustained, `burst` capacity) as a value with an injected time.
///
/// `reserve` hands out future tokens too: a caller that must wait gets its exact wait and the
/// token is taken now, so concurrent senders queue in order instead of polling, and the rate
/// holds exactly over any window.
public struct TokenBucket: Sendable, Hashable {
    public private(set) var perSecond: Double
    public private(set) var burst: Double
    private var tokens: Double
    private var last: Double

    public init(perSecond: Double, burst: Double, now: Double) {
        self.perSecond = perSecond
        self.burst = max(1, burst)
        tokens = self.burst
        last = now
    }

    /// From a Channel's `spec.rateLimit` (`perSecond`, `burst`); nil when there is no limit.
    /// `share` scales the rate when several workers split one Channel's limit.
    public init?(spec: JSON?, share: Double = 1, now: Double) {
        guard let spec, let rate = spec["perSecond"]?.doubleValue else { return nil }
        let burst = spec["burst"]?.doubleValue ?? max(1, rate.rounded(.up))
        self.init(perSecond: rate * share, burst: max(1, (burst * share).rounded(.down)), now: now)
    }

    public enum Reservation: Sendable, Hashable {
        /// A token was taken; send after waiting this many seconds (0: now).
        case granted(wait: Double)
        /// The wait would exceed `maxWait`; nothing was taken. Try again after this many seconds.
        case denied(retryAfter: Double)
    }

    public mutating func reserve(now: Double, maxWait: Double) -> Reservation {
        refill(now: now)
        guard perSecond > 0 else { return .denied(retryAfter: 60) }
        if tokens >= 1 {
            tokens -= 1
            return .granted(wait: 0)
        }
        let wait = (1 - tokens) / perSecond
        if wait > maxWait { return .denied(retryAfter: wait) }
        tokens -= 1
        return .granted(wait: wait)
    }

    /// Changes the limit, keeping the tokens already earned (capped by the new burst).
    public mutating func update(perSecond: Double, burst: Double, now: Double) {
        refill(now: now)
        self.perSecond = perSecond
        self.burst = max(1, burst)
        tokens = min(tokens, self.burst)
    }

    private mutating func refill(now: Double) {
        if now > last {
            tokens = min(burst, tokens + (now - last) * perSecond)
            last = now
        }
    }
}
