import Foundation
import HeraldAPI
import Testing

/// Jobs and results are written member by member, without a `JSON` tree; the bytes must stay
/// those of the tree, serialized (what `decode` reads and what dead letters carry).
@Suite struct WireEncodingTests {
    static let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} é 漢字 🚀"

    static func jobs() -> [DeliveryJob] {
        let full = DeliveryJob(
            deliveryUID: "9b1c-uid", namespace: "team-a", delivery: "n-1-abc-0", notification: "n-1", attempt: 3,
            channel: JobChannel(
                name: "hook", type: "webhook",
                spec: ["url": "https://example.com/h?a=1&b=2", "timeout": "5s", "retry": ["maxAttempts": 5, "backoff": 1.5]]),
            template: ["webhook": ["body": .string("{\"text\":\"{{message}}\"}")], "subject": .string(awkward)],
            variables: ["message": .string(awkward), "count": 7, "ratio": 0.25, "none": .null, "list": [true, false]],
            recipient: JobRecipient(name: "Ada", address: ["url": "https://x.test"], locale: "fr-CA", timezone: "Europe/Paris"),
            priority: .high, correlationID: "corr-1", idempotencyKey: "9b1c-uid-0",
            deadline: Date(timeIntervalSince1970: 1_800_000_000))
        var bare = full
        bare.recipient = JobRecipient(address: .emptyObject)
        bare.deadline = nil
        bare.variables = .emptyObject
        bare.template = .emptyObject
        bare.priority = .low
        var named = bare
        named.recipient = JobRecipient(name: awkward, address: ["email": "a@b.c"])
        return [full, bare, named]
    }

    static func results() -> [DeliveryResult] {
        let timings = DeliveryTimings(
            startedAt: Date(timeIntervalSince1970: 1_800_000_000.123), finishedAt: Date(timeIntervalSince1970: 1_800_000_001.5),
            renderSeconds: 0.000_020_735, waitSeconds: 0, sendSeconds: 1.25)
        let full = DeliveryResult(
            deliveryUID: "uid-1", attempt: 2, outcome: .permanent, code: "HTTP410", message: Self.awkward,
            providerMessageID: "pm-1", retryAfter: 2.5, renderedDigest: "sha256:00ff", timings: timings,
            staleAddress: StaleAddress(channelType: "webpush", kind: "webPushEndpoint", value: "https://push.test/x", reason: "HTTP410"),
            circuit: .halfOpen)
        var whole = full
        whole.retryAfter = 30
        let bare = DeliveryResult(
            deliveryUID: "uid-2", attempt: 1, outcome: .delivered, code: "Delivered", message: "", timings: timings)
        return [full, whole, bare]
    }

    @Test func jobBytesAreTheSerializedTree() throws {
        for job in Self.jobs() {
            let bytes = job.encoded()
            #expect(bytes == job.json.serialized(), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try DeliveryJob.decode(bytes) == job)
        }
    }

    @Test func resultBytesAreTheSerializedTree() throws {
        for result in Self.results() {
            let bytes = result.encoded()
            #expect(bytes == result.json.serialized(), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try DeliveryResult.decode(bytes).json == result.json)
        }
    }
}
