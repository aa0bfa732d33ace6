import Foundation
import HeraldAPI
import Testing

@testable import Workers

@Suite(.serialized, .enabled(Peers.skipReason) { await Peers.available() }, .timeLimit(.minutes(3)))
struct TwilioPeerTests {
    @Test func formPostWithBasicAuth() async throws {
        let sid = "AC0123456789abcdef0123456789abcdef"
        let peer = try await Peer.start("twilio_peer.py", [sid, "tw-secret-token"])
        defer { peer.stop() }
        try await withHTTPClient() { client in
            let p = Fixtures.processor([TwilioDriver(client: client)], secrets: [Fixtures.secret("tw", ["authToken": "tw-secret-token"])])
            let spec: JSON = [
                "twilio": [
                    "accountSID": .string(sid), "from": "+15550000000", "authSecretRef": ["name": "tw"],
                    "endpoint": .string("http://127.0.0.1:\(peer.port())"),
                ]
            ]
            let template: JSON = ["sms": ["text": "Hi {{name}}, code: 1&2=3 é"]]
            let ok = await p.process(
                Fixtures.job(type: "twilio", channel: "sms", spec: spec, template: template, address: ["phone": "+15550100"]))
            #expect(ok.outcome == .delivered && ok.providerMessageID?.hasPrefix("SM") == true, "\(ok.message)")
            let bad = await p.process(
                Fixtures.job(type: "twilio", channel: "sms", spec: spec, template: template, address: ["phone": "+15005550001"], uid: "bad")
            )
            #expect(bad.outcome == .permanent && bad.code == "Twilio21211")
            let events = try await peer.waitForEvents(2)
            #expect(events.allSatisfy { $0["authOK"] == true && $0["pathOK"] == true && $0["formOK"] == true && $0["fieldsOK"] == true })
            #expect(events[0]["form"] == ["To": "+15550100", "From": "+15550000000", "Body": "Hi Ada, code: 1&2=3 é"])
            let noPhone = await p.process(Fixtures.job(type: "twilio", channel: "sms", spec: spec, template: template, uid: "nophone"))
            #expect(noPhone.outcome == .permanent && noPhone.code == "AddressMissing")
            let wrongToken = Fixtures.processor([TwilioDriver(client: client)], secrets: [Fixtures.secret("tw", ["authToken": "nope"])])
            let denied = await wrongToken.process(
                Fixtures.job(type: "twilio", channel: "sms", spec: spec, template: template, address: ["phone": "+15550100"], uid: "denied")
            )
            #expect(denied.outcome == .permanent && denied.code == "Twilio20003")
        }
    }
}
