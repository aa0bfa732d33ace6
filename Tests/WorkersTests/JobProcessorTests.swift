import Foundation
import HeraldAPI
import MetricsTestKit
import Testing

@testable import Workers

@Suite struct JobProcessorTests {
    let clock = ManualClock()
    let driver = ScriptedDriver()
    let metrics = TestMetrics()

    func processor(_ config: JobProcessor.Configuration = .init()) -> JobProcessor {
        JobProcessor(
            drivers: [driver], secrets: InMemorySecretResolver([]), clock: clock, metrics: WorkerMetrics(factory: metrics),
            logger: Fixtures.quietLogger, configuration: config)
    }

    @Test func deliversAndReportsDigestAndMetrics() async throws {
        let p = processor()
        let r = await p.process(Fixtures.job())
        #expect(r.outcome == .delivered && r.providerMessageID == "id" && r.attempt == 1)
        #expect(r.renderedDigest?.hasPrefix("sha256:") == true)
        let counter = try metrics.expectCounter("herald_deliveries_total", [("channel_type", "webhook"), ("outcome", "delivered")])
        #expect(counter.totalValue == 1)
        _ = try metrics.expectTimer("herald_delivery_duration_seconds", [("channel_type", "webhook"), ("outcome", "delivered")])
    }

    @Test func templateProblemsArePermanentAndNeverSent() async {
        let p = processor()
        let r = await p.process(Fixtures.job(variables: [:]))
        #expect(r.outcome == .permanent && r.code == "MissingVariable" && r.message.contains("name"))
        let twilio = await p.process(Fixtures.job(type: "twilio", template: ["chat": ["text": "x"]]))
        #expect(twilio.code == "UnsupportedChannelType")
        #expect(driver.sent == 0)
    }

    @Test func deadlinePassedIsPermanent() async {
        let r = await processor().process(Fixtures.job(deadline: clock.date().addingTimeInterval(-1)))
        #expect(r.outcome == .permanent && r.code == "DeadlineExceeded" && driver.sent == 0)
    }

    @Test func breakerOpensDelaysJobsThenAProbeClosesIt() async throws {
        let p = processor()
        let spec: JSON = ["circuitBreaker": ["failureThreshold": 3, "openFor": "30s"]]
        driver.push(.failure(.transient("HTTP503", "down")), times: 3)
        for i in 0..<3 {
            let r = await p.process(Fixtures.job(spec: spec, uid: "f\(i)"))
            #expect(r.outcome == .transient && r.code == "HTTP503")
        }
        #expect(p.circuitState(namespace: "default", channel: "hooks") == .open)
        clock.advance(10)
        let held = await p.process(Fixtures.job(spec: spec, uid: "held"))
        #expect(held.outcome == .transient && held.code == "CircuitOpen" && held.circuit == .open)
        #expect(abs((held.retryAfter ?? 0) - 20) < 0.01)
        #expect(driver.sent == 3)  // nothing sent while open
        let gauge = try metrics.expectGauge("herald_circuit_breaker_state", [("namespace", "default"), ("channel", "hooks")])
        #expect(gauge.lastValue == 2)
        clock.advance(21)
        let probe = await p.process(Fixtures.job(spec: spec, uid: "probe"))
        #expect(probe.outcome == .delivered && probe.circuit == .closed)
        #expect(gauge.lastValue == 0)
        // Per-message refusals do not trip it.
        driver.push(.failure(.permanent("HTTP400", "bad")), times: 5)
        for i in 0..<5 { _ = await p.process(Fixtures.job(spec: spec, uid: "bad\(i)")) }
        #expect(p.circuitState(namespace: "default", channel: "hooks") == .closed)
    }

    @Test func rateLimitWaitsThenDefers() async throws {
        let p = processor(.init(maxRateLimitWait: 0.5))
        let spec: JSON = ["rateLimit": ["perSecond": 10, "burst": 2]]
        let start = clock.now()
        for i in 0..<7 {
            let r = await p.process(Fixtures.job(spec: spec, uid: "r\(i)"))
            #expect(r.outcome == .delivered)
        }
        // 2 at once, then 5 more at 10/s.
        #expect(abs(clock.now() - start - 0.5) < 1e-6)
        // With the clock frozen and a backlog past maxWait, the job is deferred.
        let q = processor(.init(maxRateLimitWait: 0.05))
        _ = await q.process(Fixtures.job(spec: spec, uid: "a"))
        _ = await q.process(Fixtures.job(spec: spec, uid: "b"))
        let deferred = await q.process(Fixtures.job(spec: spec, uid: "c"))
        #expect(deferred.outcome == .transient && deferred.code == "RateLimited" && (deferred.retryAfter ?? 0) > 0.05)
        let waited = try metrics.expectCounter("herald_rate_limited_total", [("channel_type", "webhook"), ("action", "waited")])
        #expect(waited.totalValue == 5)
    }

    @Test func secretProblemsAreTransientAndNamed() async {
        let p = JobProcessor(
            drivers: [WebhookDriver(client: .shared)], secrets: InMemorySecretResolver([]), clock: clock,
            metrics: WorkerMetrics(factory: metrics), logger: Fixtures.quietLogger)
        let r = await p.process(
            Fixtures.job(spec: ["webhook": ["url": "http://127.0.0.1:9/x", "signingSecretRef": ["name": "nope", "key": "secret"]]]))
        #expect(r.outcome == .transient && r.code == "SecretNotFound" && r.message.contains("default/nope"))
    }

    @Test func secretDataNeverPrintsValues() {
        let s = SecretData(
            resource: Resource([
                "apiVersion": "herald.dev/v1alpha1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"],
                "stringData": ["password": "hunter2"],
            ]))
        #expect(s.string("password") == "hunter2")
        #expect(!"\(s)".contains("hunter2") && !String(reflecting: s).contains("hunter2"))
    }
}
