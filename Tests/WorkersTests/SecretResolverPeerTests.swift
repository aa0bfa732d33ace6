import Foundation
import HeraldAPI
import Testing

@testable import Workers

@Suite(.enabled(Peers.skipReason) { await Peers.available() }, .timeLimit(.minutes(3)))
struct SecretResolverPeerTests {
    @Test func fetchesFromTheAPIServerAndCachesForTheTTL() async throws {
        let secret: JSON = [
            "apiVersion": "herald.dev/v1alpha1", "kind": "Secret", "metadata": ["name": "hooks", "namespace": "default"],
            "type": "Opaque", "data": ["secret": .string(Base64.encode(Array("whsec_abc".utf8)))],
        ]
        let api = try await Peer.start("secret_api_peer.py", ["t0k", secret.serializedString()])
        defer { api.stop() }
        try await withHTTPClient() { client in
            let clock = ManualClock()
            let resolver = HTTPSecretResolver(
                baseURL: "http://127.0.0.1:\(api.port())/", bearerToken: "t0k", ttl: 10, client: client, clock: clock)
            let a = try await resolver.secret(namespace: "default", name: "hooks")
            let b = try await resolver.secret(namespace: "default", name: "hooks")
            #expect(a.string("secret") == "whsec_abc" && b.keys == ["secret"])
            #expect(api.events.count == 1, "the second read came from the cache")
            clock.advance(11)
            _ = try await resolver.secret(namespace: "default", name: "hooks")
            #expect(try await api.waitForEvents(2).count == 2)
            await #expect(throws: SecretError.notFound(namespace: "default", name: "other")) {
                try await resolver.secret(namespace: "default", name: "other")
            }
            let anonymous = HTTPSecretResolver(baseURL: "http://127.0.0.1:\(api.port())", client: client)
            await #expect(throws: SecretError.forbidden(namespace: "default", name: "hooks", status: 401)) {
                try await anonymous.secret(namespace: "default", name: "hooks")
            }
            let down = HTTPSecretResolver(baseURL: "http://127.0.0.1:1", client: client)
            do {
                _ = try await down.secret(namespace: "default", name: "hooks")
                Issue.record("expected unavailable")
            } catch let error as SecretError {
                if case .unavailable = error {} else { Issue.record("expected unavailable, got \(error)") }
                #expect(error.deliveryError.outcome == .transient)
            }
        }
    }
}
