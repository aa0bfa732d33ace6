import Foundation
import HeraldAPI
import Testing

@testable import Workers

@Suite(.serialized, .enabled(Peers.skipReason) { await Peers.available() }, .timeLimit(.minutes(3)))
struct RateLimitPeerTests {
    /// 10/s measured at the sink over 20 s must be within ±10 %.
    @Test(.timeLimit(.minutes(2))) func tenPerSecondOverTwentySeconds() async throws {
        let sink = try await Peer.start("webhook_sink.py", [WebhookPeerTests.whsec])
        defer { sink.stop() }
        try await withHTTPClient() { client in
            let p = Fixtures.processor(
                [WebhookDriver(client: client)], secrets: [Fixtures.secret("hooks", ["secret": WebhookPeerTests.whsec])],
                configuration: .init(maxRateLimitWait: 60))
            let spec: JSON = [
                "webhook": [
                    "url": .string("http://127.0.0.1:\(sink.port())/hook"), "signingSecretRef": ["name": "hooks", "key": "secret"],
                ],
                "rateLimit": ["perSecond": 10, "burst": 1], "timeout": "60s",
            ]
            // More jobs than 20 s can carry, all at once: the limiter alone paces them.
            let total = 225
            let results = await withTaskGroup(of: DeliveryResult.self) { group in
                for i in 0..<total { group.addTask { await p.process(Fixtures.job(spec: spec, uid: "rl\(i)")) } }
                var out: [DeliveryResult] = []
                for await r in group { out.append(r) }
                return out
            }
            #expect(results.allSatisfy { $0.outcome == .delivered })
            let times = try await sink.waitForEvents(total).compactMap { $0["t"]?.doubleValue }.sorted()
            let start = times[0]
            let inWindow = times.filter { $0 < start + 20 }.count
            let rate = Double(inWindow) / 20
            print("rate limit 10/s: \(inWindow) requests reached the sink in 20 s = \(rate)/s")
            #expect(rate >= 9 && rate <= 11)
        }
    }
}
