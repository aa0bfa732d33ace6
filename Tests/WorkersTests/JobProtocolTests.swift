import Foundation
import HeraldAPI
import Testing

@Suite struct JobProtocolTests {
    static let job = DeliveryJob(
        deliveryUID: "0b8e2c1e-uid", namespace: "default", delivery: "welcome-ada-hooks", notification: "welcome-ada", attempt: 2,
        channel: JobChannel(
            name: "hooks", type: "webhook",
            spec: [
                "type": "webhook", "webhook": ["url": "https://x/hook", "signingSecretRef": ["name": "hooks", "key": "secret"]],
                "timeout": "5s",
            ]),
        template: ["webhook": ["body": "{\"n\":\"{{name}}\"}"], "locales": ["fr": ["webhook": ["body": "{}"]]]],
        variables: ["name": "Ada", "n": 3, "f": 1.5, "ok": true, "list": [1, "a"], "nil": .null],
        recipient: JobRecipient(name: "ada", address: ["webhook": "https://ada/hook"], locale: "fr-CA", timezone: "Europe/Paris"),
        priority: .high, correlationID: "corr-1", idempotencyKey: "0b8e2c1e-uid-1", deadline: Date(timeIntervalSince1970: 1_800_000_000))

    @Test func jobRoundTripsThroughBothCodecs() throws {
        let bytes = Self.job.encoded()
        #expect(try DeliveryJob.decode(bytes) == Self.job)
        let viaCodable = try JSONDecoder().decode(DeliveryJob.self, from: JSONEncoder().encode(Self.job))
        #expect(viaCodable == Self.job)
        // Both paths write the same document.
        let a = try JSON.parse(bytes)
        let b = try JSON.parse(Array(JSONEncoder().encode(Self.job)))
        #expect(a == b)
        #expect(a["deadline"] == "2027-01-15T08:00:00Z")
        #expect(a["channel"]?["spec"]?["webhook"]?["signingSecretRef"]?["name"] == "hooks")
    }

    @Test func resultRoundTrips() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        let r = DeliveryResult(
            deliveryUID: "u", attempt: 3, outcome: .permanent, code: "Unregistered", message: "gone", providerMessageID: "p",
            retryAfter: 2.5, renderedDigest: "sha256:00",
            timings: DeliveryTimings(
                startedAt: start, finishedAt: start.addingTimeInterval(0.5), renderSeconds: 0.001, waitSeconds: 0, sendSeconds: 0.4),
            staleAddress: StaleAddress(channelType: "fcm", kind: "deviceToken", value: "tok", reason: "UNREGISTERED"), circuit: .halfOpen)
        let back = try DeliveryResult.decode(r.encoded())
        #expect(back.staleAddress == r.staleAddress && back.circuit == .halfOpen && back.retryAfter == 2.5)
        #expect(abs(back.timings.startedAt.timeIntervalSince(start)) < 0.001)
        #expect(abs(back.timings.totalSeconds - 0.5) < 0.002)
        let viaCodable = try JSONDecoder().decode(DeliveryResult.self, from: JSONEncoder().encode(r))
        #expect(viaCodable.code == "Unregistered" && viaCodable.outcome == .permanent)
    }

    @Test func decodingErrorsNameTheField() {
        var json = Self.job.json
        json["attempt"] = "two"
        #expect(throws: JobDecodingError(field: "attempt", problem: "must be an integer, got string")) { try DeliveryJob(json: json) }
        json = Self.job.json
        json["recipient"] = ["address": [:], "locale": 5]
        #expect(throws: JobDecodingError(field: "recipient.locale", problem: "must be a string, got integer")) {
            try DeliveryJob(json: json)
        }
        json = Self.job.json
        json["priority"] = "urgent"
        #expect(throws: JobDecodingError.self) { try DeliveryJob(json: json) }
        #expect(throws: JobDecodingError.self) { try DeliveryJob.decode(Array("{nope".utf8)) }
    }
}

extension JobDecodingError: Equatable {
    public static func == (a: JobDecodingError, b: JobDecodingError) -> Bool { a.field == b.field && a.problem == b.problem }
}
