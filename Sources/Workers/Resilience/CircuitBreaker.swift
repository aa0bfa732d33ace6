import HeraldAPI

/// A per-Channel circuit breaker as a value: closed → open after `failureThreshold`
/// consecutive failures → half-open after `openFor` → closed when the probe succeeds (open
/// again when it fails). Pure: the caller passes the time and acts on the decisions, so the
/// whole state machine is tested without waiting.
public struct CircuitBreaker: Sendable, Hashable {
    public struct Policy: Sendable, Hashable {
        public var failureThreshold: Int
        public var openFor: Double
        /// A probe that never reports (its worker died) stops blocking others after this long.
        public var probeTimeout: Double

        public init(failureThreshold: Int = 5, openFor: Double = 30, probeTimeout: Double = 30) {
            self.failureThreshold = max(1, failureThreshold)
            self.openFor = max(0, openFor)
            self.probeTimeout = max(0.1, probeTimeout)
        }

        /// From a Channel's `spec.circuitBreaker` (`failureThreshold`, `openFor`), with defaults.
        public init(spec: JSON?, probeTimeout: Double = 30) {
            let threshold = spec?["failureThreshold"]?.intValue.map(Int.init) ?? 5
            let openFor = spec?["openFor"]?.stringValue.flatMap(HeraldAPI.Duration.parse) ?? 30
            self.init(failureThreshold: threshold, openFor: openFor, probeTimeout: probeTimeout)
        }
    }

    public enum Decision: Sendable, Hashable {
        /// Closed: send.
        case allow
        /// Half-open: send this one as the probe, and report it with `probe: true`.
        case probe
        /// Open (or a probe is in flight): do not send; try again after this many seconds.
        case reject(retryAfter: Double)
    }

    public var policy: Policy
    public private(set) var state: CircuitState = .closed
    public private(set) var consecutiveFailures = 0
    /// When an open breaker lets a probe through.
    public private(set) var openUntil: Double = 0
    private var probeStartedAt: Double?

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Whether a send may go ahead now. Moves open → half-open when `openFor` has passed.
    public mutating func decide(now: Double) -> Decision {
        switch state {
        case .closed:
            return .allow
        case .open:
            if now < openUntil { return .reject(retryAfter: openUntil - now) }
            state = .halfOpen
            probeStartedAt = now
            return .probe
        case .halfOpen:
            if let started = probeStartedAt, now - started < policy.probeTimeout {
                // Ask again soon: the probe usually answers within a second.
                return .reject(retryAfter: 1)
            }
            probeStartedAt = now
            return .probe
        }
    }

    /// Reports how a send went. `success` means the provider answered as a working service
    /// (delivered, or refused the message itself); `false` means it failed as a service
    /// (timeout, connection error, 5xx, 429). Returns the new state when it changed.
    @discardableResult
    public mutating func record(success: Bool, probe: Bool = false, now: Double) -> CircuitState? {
        let before = state
        switch state {
        case .closed:
            if success {
                consecutiveFailures = 0
            } else {
                consecutiveFailures += 1
                if consecutiveFailures >= policy.failureThreshold { open(now: now) }
            }
        case .halfOpen:
            // Sends that started before the breaker opened report late; only the probe decides.
            guard probe else { return nil }
            probeStartedAt = nil
            if success {
                state = .closed
                consecutiveFailures = 0
            } else {
                consecutiveFailures += 1
                open(now: now)
            }
        case .open:
            // Late reports from sends that started while closed change nothing.
            if !success { consecutiveFailures += 1 }
        }
        return state == before ? nil : state
    }

    /// Releases a half-open probe slot that was granted but never used, so the next job probes.
    public mutating func abandonProbe() {
        if state == .halfOpen { probeStartedAt = nil }
    }

    /// Seconds until an open breaker lets a probe through (0 when not open).
    public func remainingOpen(now: Double) -> Double {
        state == .open ? max(0, openUntil - now) : 0
    }

    private mutating func open(now: Double) {
        state = .open
        openUntil = now + policy.openFor
        probeStartedAt = nil
    }
}
