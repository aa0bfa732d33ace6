import AsyncHTTPClient
import Foundation
import HeraldAPI
import MetricsTestKit
import NIOCore
import Testing

@testable import Workers

/// Webhooks against a sink that checks every request with the `standardwebhooks` library.
@Suite(.serialized, .enabled(Peers.skipReason) { await Peers.available() }, .timeLimit(.minutes(3)))
final class WebhookPeerTests {
    static let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let client = StandardDrivers.makeHTTPClient()

    deinit { try? client.syncShutdown() }

    func spec(_ port: Int, path: String = "/hook", extra: JSONObject = [:]) -> JSON {
        var s: JSONObject = [
            "webhook": [
                "url": .string("http://127.0.0.1:\(port)\(path)"), "headers": ["X-Team": "ops"],
                "signingSecretRef": ["name": "hooks", "key": "secret"],
            ],
            "timeout": "3s",
        ]
        for (k, v) in extra { s[k] = v }
        return .object(s)
    }

    func control(_ port: Int, _ body: JSON) async throws {
        var r = HTTPClientRequest(url: "http://127.0.0.1:\(port)/_control")
        r.method = .POST
        r.body = .bytes(ByteBuffer(bytes: body.serialized()))
        _ = try await client.execute(r, timeout: .seconds(5))
    }

    @Test func everyRequestVerifiesWithStandardWebhooks() async throws {
        let sink = try await Peer.start("webhook_sink.py", [Self.whsec])
        defer { sink.stop() }
        let p = Fixtures.processor([WebhookDriver(client: client)], secrets: [Fixtures.secret("hooks", ["secret": Self.whsec])])
        let name = "Ada \"the\" Countess — ✓ \\ <b>"
        let template: JSON = ["webhook": ["body": #"{"event":"welcome","name":"{{name}}"}"#]]
        var results: [DeliveryResult] = []
        for i in 0..<20 {
            results.append(
                await p.process(Fixtures.job(spec: spec(sink.port()), template: template, variables: ["name": .string(name)], uid: "w\(i)"))
            )
        }
        // No webhook part: the default envelope, signed the same way.
        results.append(await p.process(Fixtures.job(spec: spec(sink.port()), template: ["chat": ["text": "hi {{name}}"]], uid: "env")))
        #expect(results.allSatisfy { $0.outcome == .delivered }, "\(results.filter { $0.outcome != .delivered }.map(\.message))")
        let events = try await sink.waitForEvents(21)
        #expect(events.allSatisfy { $0["verified"] == true }, "\(events.compactMap { $0["error"]?.stringValue })")
        #expect(events.allSatisfy { $0["team"] == "ops" && $0["contentType"] == "application/json" })
        for i in 0..<20 {
            let e = events.first { $0["idempotencyKey"] == .string("w\(i)-0") }
            #expect(e?["body"]?["name"]?.stringValue == name)
            #expect(e?["correlationID"] == .string("corr-w\(i)") && e?["webhookID"] == .string("w\(i)-0"))
        }
        let envelope = events.first { $0["idempotencyKey"] == "env-0" }?["body"]
        #expect(envelope?["type"] == "herald.notification" && envelope?["message"]?["text"] == "hi Ada")
    }

    @Test func statusesAreClassifiedAndRetryAfterRead() async throws {
        let sink = try await Peer.start("webhook_sink.py", [Self.whsec])
        defer { sink.stop() }
        let p = Fixtures.processor([WebhookDriver(client: client)], secrets: [Fixtures.secret("hooks", ["secret": Self.whsec])])
        func send(_ uid: String) async -> DeliveryResult { await p.process(Fixtures.job(spec: spec(sink.port()), uid: uid)) }

        try await control(sink.port(), ["status": 503, "retryAfter": "2"])
        let r503 = await send("s503")
        #expect(r503.outcome == .transient && r503.code == "HTTP503" && r503.retryAfter == 2)
        let date = RetryAfter.imfFixdate(Date().addingTimeInterval(30))
        try await control(sink.port(), ["status": 429, "retryAfter": .string(date)])
        let r429 = await send("s429")
        #expect(r429.outcome == .transient && (r429.retryAfter ?? 0) > 25)
        for (status, outcome) in [
            (408, DeliveryOutcome.transient), (425, .transient), (400, .permanent), (404, .permanent), (410, .permanent),
        ] {
            try await control(sink.port(), ["status": .int(Int64(status)), "retryAfter": .null])
            let r = await send("s\(status)")
            #expect(r.outcome == outcome && r.code == "HTTP\(status)", "\(status): \(r.message)")
        }
        try await control(sink.port(), ["status": 200, "delay": 1.5])
        let slow = await p.process(Fixtures.job(spec: spec(sink.port(), extra: ["timeout": "300ms"]), uid: "slow"))
        #expect(slow.outcome == .transient && slow.code == "Timeout", "\(slow.message)")
        try await control(sink.port(), ["delay": 0])
        // Nobody listening: transient.
        let refused = await p.process(Fixtures.job(spec: spec(1), uid: "refused"))
        #expect(refused.outcome == .transient && refused.code == "ConnectionFailed", "\(refused.code) \(refused.message)")
        // A wrong signing secret is caught by the library: the sink answers 401, permanent.
        let wrong = Fixtures.processor(
            [WebhookDriver(client: client)],
            secrets: [Fixtures.secret("hooks", ["secret": "whsec_" + Base64.encode(Array("another key of 24 bytes!".utf8))])])
        let rejected = await wrong.process(Fixtures.job(spec: spec(sink.port()), uid: "wrongkey"))
        #expect(rejected.outcome == .permanent && rejected.code == "HTTP401")
        let unverified = try await sink.waitForEvents(1) { $0["idempotencyKey"] == "wrongkey-0" }
        #expect(unverified.first?["verified"] == false)
    }

    @Test func breakerOpensOnAFailingPeerAndAProbeClosesIt() async throws {
        let sink = try await Peer.start("webhook_sink.py", [Self.whsec])
        defer { sink.stop() }
        let metrics = TestMetrics()
        let p = Fixtures.processor(
            [WebhookDriver(client: client)], secrets: [Fixtures.secret("hooks", ["secret": Self.whsec])],
            metrics: WorkerMetrics(factory: metrics))
        let s = spec(sink.port(), extra: ["circuitBreaker": ["failureThreshold": 3, "openFor": "2s"]])
        try await control(sink.port(), ["status": 503])
        for i in 0..<3 {
            let r = await p.process(Fixtures.job(spec: s, uid: "b\(i)"))
            #expect(r.code == "HTTP503")
        }
        #expect(p.circuitState(namespace: "default", channel: "hooks") == .open)
        let gauge = try metrics.expectGauge("herald_circuit_breaker_state", [("namespace", "default"), ("channel", "hooks")])
        #expect(gauge.lastValue == 2)
        let seenWhileOpen = sink.events.count
        for i in 0..<5 {
            let r = await p.process(Fixtures.job(spec: s, uid: "held\(i)"))
            #expect(r.outcome == .transient && r.code == "CircuitOpen" && r.circuit == .open && (r.retryAfter ?? 0) > 0)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(sink.events.count == seenWhileOpen, "nothing is sent while the breaker is open")
        try await control(sink.port(), ["status": 200])
        try await Task.sleep(for: .milliseconds(2100))
        let probe = await p.process(Fixtures.job(spec: s, uid: "probe"))
        #expect(probe.outcome == .delivered && probe.circuit == .closed)
        #expect(p.circuitState(namespace: "default", channel: "hooks") == .closed)
        #expect(gauge.lastValue == 0)
        #expect(gauge.values.contains(1), "half-open was visible while probing")
        let transient = try metrics.expectCounter("herald_deliveries_total", [("channel_type", "webhook"), ("outcome", "transient")])
        #expect(transient.totalValue == 8)
    }

    @Test func slackIncomingWebhook() async throws {
        let sink = try await Peer.start("webhook_sink.py", [Self.whsec])
        defer { sink.stop() }
        let url = "http://127.0.0.1:\(sink.port())/unsigned/slack/T000/B000/XXXX"
        let p = Fixtures.processor([SlackDriver(client: client)], secrets: [Fixtures.secret("slack", ["url": url])])
        let r = await p.process(
            Fixtures.job(
                type: "slack", channel: "team", spec: ["slack": ["urlSecretRef": ["name": "slack", "key": "url"]]],
                template: ["chat": ["text": "Welcome *{{name}}*"]]))
        #expect(r.outcome == .delivered, "\(r.message)")
        let e = try await sink.waitForEvents(1)
        #expect(e.first?["body"] == ["text": "Welcome *Ada*"])
        #expect(!r.message.contains("XXXX"), "the URL is a credential and stays out of results")
    }
}
