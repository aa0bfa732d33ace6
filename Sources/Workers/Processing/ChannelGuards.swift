import HeraldAPI
import Synchronization

/// The circuit breaker and rate limiter of every Channel this worker has sent through, keyed
/// by namespace/name. Each worker keeps its own: a breaker trips on what this worker sees, and
/// a rate limit is this worker's share of the Channel's (see docs/workers.md).
final class ChannelGuards: Sendable {
    struct Entry {
        var breaker: CircuitBreaker
        var bucket: TokenBucket?
        var rateSpec: JSON?
        var breakerSpec: JSON?
    }

    private let entries = Mutex<[String: Entry]>([:])
    let rateShare: Double
    let probeTimeout: Double

    init(rateShare: Double, probeTimeout: Double) {
        self.rateShare = rateShare
        self.probeTimeout = probeTimeout
    }

    static func key(_ job: DeliveryJob) -> String { job.namespace + "/" + job.channel.name }

    /// Applies the Channel's current spec (it may have changed since the last job), then asks
    /// the breaker.
    func decide(_ job: DeliveryJob, now: Double) -> (CircuitBreaker.Decision, CircuitState) {
        entries.withLock { all in
            var e = entry(&all, job, now: now)
            let d = e.breaker.decide(now: now)
            all[Self.key(job)] = e
            return (d, e.breaker.state)
        }
    }

    func reserve(_ job: DeliveryJob, now: Double, maxWait: Double) -> TokenBucket.Reservation {
        entries.withLock { all in
            var e = entry(&all, job, now: now)
            defer { all[Self.key(job)] = e }
            guard var bucket = e.bucket else { return .granted(wait: 0) }
            let r = bucket.reserve(now: now, maxWait: maxWait)
            e.bucket = bucket
            return r
        }
    }

    /// A probe that was never sent (the rate limit deferred it) must not hold the breaker.
    func abandonProbe(_ job: DeliveryJob) {
        entries.withLock { all in
            all[Self.key(job)]?.breaker.abandonProbe()
        }
    }

    /// Returns the state after recording, and whether it changed.
    func record(_ job: DeliveryJob, success: Bool, probe: Bool, now: Double) -> (CircuitState, Bool) {
        entries.withLock { all in
            var e = entry(&all, job, now: now)
            let changed = e.breaker.record(success: success, probe: probe, now: now)
            all[Self.key(job)] = e
            return (e.breaker.state, changed != nil)
        }
    }

    func state(namespace: String, channel: String) -> CircuitState {
        entries.withLock { $0[namespace + "/" + channel]?.breaker.state ?? .closed }
    }

    private func entry(_ all: inout [String: Entry], _ job: DeliveryJob, now: Double) -> Entry {
        let rateSpec = job.channel.spec["rateLimit"]
        let breakerSpec = job.channel.spec["circuitBreaker"]
        guard var e = all[Self.key(job)] else {
            return Entry(
                breaker: CircuitBreaker(policy: .init(spec: breakerSpec, probeTimeout: probeTimeout)),
                bucket: TokenBucket(spec: rateSpec, share: rateShare, now: now), rateSpec: rateSpec, breakerSpec: breakerSpec)
        }
        if e.breakerSpec != breakerSpec {
            e.breaker.policy = .init(spec: breakerSpec, probeTimeout: probeTimeout)
            e.breakerSpec = breakerSpec
        }
        if e.rateSpec != rateSpec {
            if let fresh = TokenBucket(spec: rateSpec, share: rateShare, now: now) {
                if var b = e.bucket {
                    b.update(perSecond: fresh.perSecond, burst: fresh.burst, now: now)
                    e.bucket = b
                } else {
                    e.bucket = fresh
                }
            } else {
                e.bucket = nil
            }
            e.rateSpec = rateSpec
        }
        return e
    }
}
