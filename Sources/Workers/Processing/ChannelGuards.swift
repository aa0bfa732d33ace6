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
        update(job, now: now) { e in (e.breaker.decide(now: now), e.breaker.state) }
    }

    func reserve(_ job: DeliveryJob, now: Double, maxWait: Double) -> TokenBucket.Reservation {
        update(job, now: now) { e in
            guard var bucket = e.bucket else { return .granted(wait: 0) }
            let r = bucket.reserve(now: now, maxWait: maxWait)
            e.bucket = bucket
            return r
        }
    }

    /// A probe that was never sent (the rate limit deferred it) must not hold the breaker.
    func abandonProbe(_ job: DeliveryJob) {
        let key = Self.key(job)
        entries.withLock { all in all[key]?.breaker.abandonProbe() }
    }

    /// Returns the state after recording, and whether it changed.
    func record(_ job: DeliveryJob, success: Bool, probe: Bool, now: Double) -> (CircuitState, Bool) {
        update(job, now: now) { e in
            let changed = e.breaker.record(success: success, probe: probe, now: now)
            return (e.breaker.state, changed != nil)
        }
    }

    func state(namespace: String, channel: String) -> CircuitState {
        let key = namespace + "/" + channel
        return entries.withLock { $0[key]?.breaker.state ?? .closed }
    }

    /// Runs `body` on the job's Channel entry, brought up to the Channel's current spec. The key
    /// is built once, outside the lock every job of the worker takes several times.
    private func update<R>(_ job: DeliveryJob, now: Double, _ body: (inout Entry) -> R) -> R {
        let key = Self.key(job)
        return entries.withLock { all in
            var e = entry(all[key], job, now: now)
            let r = body(&e)
            all[key] = e
            return r
        }
    }

    private func entry(_ existing: Entry?, _ job: DeliveryJob, now: Double) -> Entry {
        let rateSpec = job.channel.spec["rateLimit"]
        let breakerSpec = job.channel.spec["circuitBreaker"]
        guard var e = existing else {
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
