import HeraldAPI
import Testing

@testable import Workers

@Suite struct CircuitBreakerTests {
    @Test func opensAfterThresholdAndClosesOnASuccessfulProbe() {
        var b = CircuitBreaker(policy: .init(failureThreshold: 3, openFor: 30))
        #expect(b.decide(now: 0) == .allow)
        b.record(success: false, now: 1)
        b.record(success: false, now: 2)
        b.record(success: true, now: 3)  // a success resets the count
        b.record(success: false, now: 4)
        b.record(success: false, now: 5)
        #expect(b.state == .closed)
        #expect(b.record(success: false, now: 6) == .open)
        #expect(b.decide(now: 10) == .reject(retryAfter: 26))
        #expect(b.remainingOpen(now: 10) == 26)
        b.record(success: true, now: 11)  // a late success from before opening changes nothing
        #expect(b.state == .open)
        #expect(b.decide(now: 36) == .probe)
        #expect(b.state == .halfOpen)
        #expect(b.decide(now: 36.5) == .reject(retryAfter: 1))  // one probe at a time
        b.record(success: true, now: 36.6)  // not the probe: ignored
        #expect(b.state == .halfOpen)
        #expect(b.record(success: true, probe: true, now: 37) == .closed)
        #expect(b.decide(now: 37) == .allow)
    }

    @Test func aFailedProbeReopensAndALostProbeTimesOut() {
        var b = CircuitBreaker(policy: .init(failureThreshold: 1, openFor: 10, probeTimeout: 5))
        b.record(success: false, now: 0)
        #expect(b.decide(now: 10) == .probe)
        #expect(b.record(success: false, probe: true, now: 11) == .open)
        #expect(b.decide(now: 15) == .reject(retryAfter: 6))
        #expect(b.decide(now: 21) == .probe)
        // The probe's worker died: after probeTimeout another job probes.
        #expect(b.decide(now: 22) == .reject(retryAfter: 1))
        #expect(b.decide(now: 26.5) == .probe)
        b.abandonProbe()
        #expect(b.decide(now: 26.6) == .probe)
    }

    @Test func policyFromSpec() {
        let p = CircuitBreaker.Policy(spec: ["failureThreshold": 7, "openFor": "1m30s"])
        #expect(p.failureThreshold == 7 && p.openFor == 90)
        #expect(CircuitBreaker.Policy(spec: nil) == CircuitBreaker.Policy())
    }
}

@Suite struct TokenBucketTests {
    @Test func burstThenSteadyRate() {
        var b = TokenBucket(perSecond: 10, burst: 5, now: 0)
        for _ in 0..<5 { #expect(b.reserve(now: 0, maxWait: 1) == .granted(wait: 0)) }
        // Reservations queue: each waits one more interval.
        guard case .granted(let w1) = b.reserve(now: 0, maxWait: 1), case .granted(let w2) = b.reserve(now: 0, maxWait: 1) else {
            Issue.record("expected grants")
            return
        }
        #expect(abs(w1 - 0.1) < 1e-9 && abs(w2 - 0.2) < 1e-9)
        // Beyond maxWait nothing is taken.
        for _ in 0..<8 { _ = b.reserve(now: 0, maxWait: 1) }
        guard case .denied(let retry) = b.reserve(now: 0, maxWait: 1) else {
            Issue.record("expected a denial")
            return
        }
        #expect(retry > 1)
    }

    @Test func sustainedRateOverTwentySimulatedSeconds() {
        // Senders that always wait for their slot: count sends that start within [0, 20).
        var b = TokenBucket(perSecond: 10, burst: 1, now: 0)
        var t = 0.0
        var sent = 0
        while t < 20, sent < 1000 {
            guard case .granted(let wait) = b.reserve(now: t, maxWait: 5) else { break }
            t += wait
            if t < 20 { sent += 1 }
        }
        #expect(sent >= 199 && sent <= 201)
    }

    @Test func specAndShare() {
        let b = TokenBucket(spec: ["perSecond": 50, "burst": 100], share: 0.5, now: 0)
        #expect(b?.perSecond == 25 && b?.burst == 50)
        #expect(TokenBucket(spec: nil, now: 0) == nil)
        var zero = TokenBucket(perSecond: 0, burst: 1, now: 0)
        _ = zero.reserve(now: 0, maxWait: 1)
        #expect(zero.reserve(now: 0, maxWait: 1) == .denied(retryAfter: 60))
    }
}
