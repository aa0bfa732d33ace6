import Foundation
import HeraldAPI
import Testing

@testable import Workers

@Suite struct ClassificationTests {
    @Test(arguments: [
        (200, DeliveryOutcome.delivered), (204, .delivered), (400, .permanent), (401, .permanent), (404, .permanent),
        (408, .transient), (410, .permanent), (422, .permanent), (425, .transient), (429, .transient), (500, .transient),
        (503, .transient), (301, .permanent),
    ])
    func httpStatus(status: Int, outcome: DeliveryOutcome) {
        #expect(HTTPClassification.outcome(status: status) == outcome)
    }

    @Test func retryAfterSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.seconds("120", now: now) == 120)
        #expect(RetryAfter.seconds(" 0 ", now: now) == 0)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:50:37 GMT", now: now) == 60)
        #expect(RetryAfter.seconds("Sunday, 06-Nov-94 08:51:37 GMT", now: now) == 120)
        #expect(RetryAfter.seconds("Sun Nov  6 08:49:47 1994", now: now) == 10)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0)  // past
        #expect(RetryAfter.seconds("soon", now: now) == nil)
        #expect(RetryAfter.seconds("-5", now: now) == nil)
        #expect(RetryAfter.seconds(nil, now: now) == nil)
        #expect(RetryAfter.imfFixdate(now) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func smtpReplies() {
        func o(_ curl: Int32, _ code: Int) -> CurlSMTP.Outcome { .init(curlCode: curl, responseCode: code, error: "e", lastReply: "r") }
        #expect(CurlSMTP.classify(o(55, 451), server: "s").outcome == .transient)
        #expect(CurlSMTP.classify(o(55, 550), server: "s").outcome == .permanent)
        #expect(CurlSMTP.classify(o(55, 550), server: "s").code == "SMTP550")
        #expect(CurlSMTP.classify(o(67, 535), server: "s").message.contains("login"))
        #expect(CurlSMTP.classify(o(7, 0), server: "s").code == "ConnectionFailed")
        #expect(CurlSMTP.classify(o(28, 0), server: "s").outcome == .transient)
        #expect(CurlSMTP.classify(o(64, 0), server: "s").outcome == .permanent)
    }

    @Test func standardWebhooksVector() throws {
        // The example from the Standard Webhooks specification.
        let signer = try StandardWebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let sig = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(throws: DeliveryError.self) { try StandardWebhookSigner(secret: "whsec_!!") }
    }

    @Test func cachedSignersSignAsFreshOnes() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Array(#"{"test": 2432232314}"#.utf8)
        for _ in 0..<2 {
            let signer = try StandardWebhookSigner.cached(secret: secret)
            let sig = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body)
            #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        }
        // A bad secret is refused every time, never cached.
        for _ in 0..<2 { #expect(throws: DeliveryError.self) { try StandardWebhookSigner.cached(secret: "whsec_!!") } }
    }

    /// One signer keeps its keyed state untouched however many signatures it makes, at once.
    @Test func oneSignerSignsConcurrentlyAsFreshOnes() async throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let shared = try StandardWebhookSigner(secret: secret)
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    for i in 0..<200 {
                        let body = Array(#"{"n": \#(task * 1000 + i)}"#.utf8)
                        let fresh = try StandardWebhookSigner(secret: secret)
                        if shared.signature(id: "msg_\(i)", timestamp: 1_614_265_330 + i, body: body)
                            != fresh.signature(id: "msg_\(i)", timestamp: 1_614_265_330 + i, body: body)
                        {
                            mismatches += 1
                        }
                    }
                    return mismatches
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        let sig = shared.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func mimeHeaders() {
        let subject = MIMEMessage.encodeHeaderText("Bienvenue, Zoë — ça va? 🎉 " + String(repeating: "é", count: 40))
        #expect(subject.hasPrefix("=?UTF-8?B?"))
        for line in subject.components(separatedBy: "\r\n ") { #expect(line.count <= 75) }
        #expect(MIMEMessage.encodeHeaderText("Plain subject") == "Plain subject")
        #expect(MIMEMessage.encodeAddress("Zoë Ops <ops@example.com>").hasPrefix("=?UTF-8?B?"))
        #expect(MIMEMessage.encodeAddress("Ops <ops@example.com>") == "\"Ops\" <ops@example.com>")
        #expect(MIMEMessage.addrSpec("Ops <ops@example.com>") == "ops@example.com")
        #expect(MIMEMessage.messageID(idempotencyKey: "uid/1 x", from: "Ops <ops@example.com>") == "<uid-1-x@example.com>")
        #expect(APNsDriver.uuid(from: "k").count == 36)
        #expect(APNsDriver.uuid(from: "k") == APNsDriver.uuid(from: "k"))
        #expect(TwilioDriver.formEncode([("Body", "é & ü=1")]) == "Body=%C3%A9%20%26%20%C3%BC%3D1")
    }
}
