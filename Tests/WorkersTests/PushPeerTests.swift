import Crypto
import Foundation
import HeraldAPI
import Testing

@testable import Workers

/// Web Push, FCM and APNs against peers that decrypt and verify with Python libraries.
@Suite(.serialized, .enabled(Peers.skipReason) { await Peers.available() }, .timeLimit(.minutes(3)))
struct PushPeerTests {
    let template: JSON = [
        "push": ["title": "Hello {{name}}", "body": "Ünïcödé body for {{name}} 🚀", "data": ["screen": "home", "user": "{{name}}", "n": 3]]
    ]

    @Test func webPushDecryptsWithHTTPECEAndVAPIDVerifies() async throws {
        let vapid = P256.Signing.PrivateKey()
        let publicKey = JWT.base64URL(vapid.publicKey.x963Representation)
        let peer = try await Peer.start("webpush_peer.py", [publicKey])
        defer { peer.stop() }
        try await withHTTPClient() { client in
            let p = Fixtures.processor(
                [WebPushDriver(client: client)], secrets: [Fixtures.secret("vapid", ["privateKey": JWT.base64URL(vapid.rawRepresentation)])]
            )
            let spec: JSON = ["webpush": ["vapidSecretRef": ["name": "vapid"], "subject": "mailto:ops@example.com"]]
            func address(_ path: String) -> JSON {
                [
                    "webPush": [
                        "endpoint": .string("http://127.0.0.1:\(peer.port())\(path)"),
                        "keys": ["p256dh": peer.ready["p256dh"] ?? "", "auth": peer.ready["auth"] ?? ""],
                    ]
                ]
            }
            var job = Fixtures.job(
                type: "webpush", channel: "web", spec: spec, template: template, address: address("/push/sub1"),
                deadline: Date().addingTimeInterval(3600))
            job.priority = .high
            let r = await p.process(job)
            #expect(r.outcome == .delivered && r.providerMessageID?.contains("/message/") == true, "\(r.message)")
            let e = try await peer.waitForEvents(1).first
            #expect(e?["problems"] == [], "\(e?["problems"] ?? .null)")
            let rendered = try TemplateRenderer.shared.render(template, channelType: "webpush", variables: ["name": "Ada"], locale: nil)
            let plaintext = e?["plaintext"]?.stringValue ?? ""
            #expect(
                try JSON.parse(plaintext) == [
                    "title": .string(rendered.title ?? ""), "body": .string(rendered.body ?? ""), "data": rendered.data ?? .null,
                ])
            #expect(
                plaintext
                    == String(
                        decoding: JSON.object([
                            "title": .string(rendered.title ?? ""), "body": .string(rendered.body ?? ""), "data": rendered.data ?? .null,
                        ]).serialized(), as: UTF8.self))
            #expect(e?["urgency"] == "high")
            let ttl = Int(e?["ttl"]?.stringValue ?? "") ?? 0
            #expect(ttl > 3500 && ttl <= 3600)
            #expect(e?["claims"]?["sub"] == "mailto:ops@example.com")

            for (path, code) in [("/gone/sub2", 410), ("/missing/sub3", 404)] {
                let gone = await p.process(
                    Fixtures.job(type: "webpush", channel: "web", spec: spec, template: template, address: address(path), uid: "g\(code)"))
                #expect(gone.outcome == .permanent && gone.code == "SubscriptionGone")
                #expect(
                    gone.staleAddress
                        == StaleAddress(
                            channelType: "webpush", kind: "webPushEndpoint", value: "http://127.0.0.1:\(peer.port())\(path)",
                            reason: "HTTP\(code)"))
            }
        }
    }

    @Test func fcmExchangesAServiceAccountJWTOnceAndMarksUnregisteredStale() async throws {
        let dir = Peers.tempDirectory()
        let peer = try await Peer.start("push_providers_peer.py", [dir, "TEAM123456", "KEY1234567", "com.example.app", "herald-test"])
        defer { peer.stop() }
        try await withHTTPClient(trustRootsPEMFile: peer.ready["cert"]?.stringValue) { client in
            let account = peer.ready["serviceAccount"] ?? .null
            let p = Fixtures.processor(
                [FCMDriver(client: client)], secrets: [Fixtures.secret("fcm", ["serviceAccount.json": account.serializedString()])])
            let spec: JSON = [
                "fcm": ["serviceAccountSecretRef": ["name": "fcm"], "endpoint": .string("https://127.0.0.1:\(peer.port("fcmPort"))")]
            ]
            var results: [DeliveryResult] = []
            for i in 0..<3 {
                results.append(
                    await p.process(
                        Fixtures.job(
                            type: "fcm", channel: "mobile", spec: spec, template: template,
                            address: ["deviceToken": .string("device-\(i)")], uid: "f\(i)")))
            }
            #expect(
                results.allSatisfy {
                    $0.outcome == .delivered && $0.providerMessageID?.hasPrefix("projects/herald-test/messages/") == true
                }, "\(results.map(\.message))")
            let stale = await p.process(
                Fixtures.job(
                    type: "fcm", channel: "mobile", spec: spec, template: template, address: ["deviceToken": "stale-fcm-token"],
                    uid: "stale"))
            #expect(stale.outcome == .permanent && stale.code == "Unregistered")
            #expect(
                stale.staleAddress
                    == StaleAddress(channelType: "fcm", kind: "deviceToken", value: "stale-fcm-token", reason: "UNREGISTERED"))
            let tokens = peer.events.filter { $0["kind"] == "token" }
            #expect(tokens.count == 1, "the access token is cached until it expires")
            #expect(tokens.first?["problems"] == [])
            let sends = try await peer.waitForEvents(4) { $0["kind"] == "fcm" }
            #expect(sends.allSatisfy { $0["problems"] == [] })
            #expect(sends[0]["message"]?["data"] == ["screen": "home", "user": "Ada", "n": "3"])
            #expect(sends[0]["message"]?["notification"]?["title"] == "Hello Ada")
        }
    }

    @Test func apnsOverHTTP2WithAnES256ProviderToken() async throws {
        let dir = Peers.tempDirectory()
        let peer = try await Peer.start("push_providers_peer.py", [dir, "TEAM123456", "KEY1234567", "com.example.app", "herald-test"])
        defer { peer.stop() }
        try await withHTTPClient(trustRootsPEMFile: peer.ready["cert"]?.stringValue) { client in
            let p = Fixtures.processor(
                [APNsDriver(client: client)], secrets: [Fixtures.secret("apns", ["key.p8": peer.ready["apnsKey"]?.stringValue ?? ""])])
            let spec: JSON = [
                "apns": [
                    "teamID": "TEAM123456", "keyID": "KEY1234567", "topic": "com.example.app", "keySecretRef": ["name": "apns"],
                    "endpoint": .string("https://127.0.0.1:\(peer.port("apnsPort"))"),
                ]
            ]
            let ok = await p.process(
                Fixtures.job(type: "apns", channel: "ios", spec: spec, template: template, address: ["deviceToken": "a1b2c3"]))
            #expect(ok.outcome == .delivered && ok.providerMessageID == APNsDriver.uuid(from: "uid-1-0"), "\(ok.message)")
            let gone = await p.process(
                Fixtures.job(
                    type: "apns", channel: "ios", spec: spec, template: template, address: ["deviceToken": "gone-apns-token"], uid: "gone"))
            #expect(gone.outcome == .permanent && gone.code == "Unregistered")
            #expect(gone.staleAddress?.value == "gone-apns-token" && gone.staleAddress?.kind == "deviceToken")
            let events = try await peer.waitForEvents(2) { $0["kind"] == "apns" }
            #expect(events.allSatisfy { $0["problems"] == [] && $0["httpVersion"] == "2" }, "\(events)")
            #expect(events[0]["payload"]?["aps"]?["alert"] == ["title": "Hello Ada", "body": "Ünïcödé body for Ada 🚀"])
            #expect(events[0]["payload"]?["screen"] == "home")
        }
    }
}
