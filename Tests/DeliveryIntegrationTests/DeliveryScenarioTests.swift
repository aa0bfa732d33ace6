import Broker
import Foundation
import HeraldAPI
import Testing

/// Issue #3's delivery scenarios against a real RabbitMQ: `herald serve --broker amqp://…` as a
/// process (API, controller and workers; SQLite store of its own), one vhost per test, a local
/// webhook sink, and the API over HTTP. Tests run in parallel: nothing is shared between them.
@Suite(
    "Deliveries through RabbitMQ",
    .enabled(if: IntegrationEnvironment.hasRabbitMQ, IntegrationEnvironment.rabbitMQMissing),
    .timeLimit(.minutes(2))
)
struct DeliveryScenarioTests {
    /// (a) apply, then Delivered through the webhook sink.
    @Test func appliedNotificationIsDeliveredThroughTheWebhook() async throws {
        try await withHerald("apply") { vhost, sink, processes in
            let (_, api) = try await processes.serve(broker: vhost.url)
            try await Manifests.applyBasics(api, sinkURL: sink.url)
            try await api.create("Notification", "hello", spec: Manifests.notification("hello", recipients: 1))
            let status = try await api.waitDelivered("hello", timeout: 30)
            #expect(status["deliveries"]?["delivered"]?.intValue == 1)
            #expect(status["phase"]?.stringValue == "Delivered")

            let deliveries = try await api.deliveries(of: "hello")
            let delivery = try #require(deliveries.first)
            #expect(deliveries.count == 1)
            #expect(delivery["status"]?["attempts"]?.intValue == 1)
            let requests = sink.requests
            #expect(requests.count == 1)
            let uid = try #require(delivery["metadata"]?["uid"]?.stringValue)
            // architecture.md: idempotencyKey = deliveryUID + round.
            #expect(requests.first?.key.hasPrefix(uid) == true, "key \(requests.first?.key ?? "none") for uid \(uid)")
            #expect(requests.first?.body.contains("\"n\":\"hello\"") == true)
        }
    }

    /// (b) three 503s, then 200: Retrying with attempts and nextAttemptTime visible, then
    /// Delivered after 4 attempts, spaced as the policy says.
    @Test func threeServiceUnavailableThenDeliveredWithBackoffGaps() async throws {
        let sink = WebhookSink(sequence: [.init(status: 503), .init(status: 503), .init(status: 503), .ok])
        try await withHerald("backoff", sink: sink) { vhost, sink, processes in
            let (_, api) = try await processes.serve(broker: vhost.url)
            // Equal jitter keeps every delay in [base/2, base], so the gaps have a lower bound too.
            let retry: JSON = ["maxAttempts": 6, "initialBackoff": "1s", "multiplier": 2, "maxBackoff": "10s", "jitter": "equal"]
            try await Manifests.applyBasics(api, sinkURL: sink.url, retry: retry)
            try await api.create("Notification", "flaky", spec: Manifests.notification("flaky", recipients: 1))

            // Watch the Delivery's status over HTTP while it retries.
            var retrying: [JSON] = []
            var final: JSON = .null
            let deadline = Date().addingTimeInterval(40)
            while Date() < deadline {
                let status = try await api.deliveries(of: "flaky").first?["status"] ?? .null
                if status["phase"]?.stringValue == "Retrying" { retrying.append(status) }
                if status["phase"]?.stringValue == "Delivered" {
                    final = status
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(final["phase"]?.stringValue == "Delivered", "last status: \(final)")
            #expect(final["attempts"]?.intValue == 4)
            #expect(!retrying.isEmpty, "never saw the Delivery Retrying")
            for status in retrying {
                #expect((status["attempts"]?.intValue ?? 0) >= 1, "\(status)")
                #expect(status["nextAttemptTime"]?.stringValue.flatMap(Timestamp.parse) != nil, "no nextAttemptTime in \(status)")
                #expect(status["lastError"]?["code"] != nil, "no lastError in \(status)")
            }
            // While a job waits in a delay tier the count already includes the attempt it carries
            // (DeliveryStateMachine), so Retrying shows 1 to 4; over three retry spells it shows
            // at least two of them.
            let attemptsSeen = Set(retrying.compactMap { $0["attempts"]?.intValue })
            #expect(attemptsSeen.count >= 2 && attemptsSeen.isSubset(of: [1, 2, 3, 4]), "attempts while Retrying: \(attemptsSeen)")

            let times = sink.requests.map(\.at)
            try #require(times.count == 4, "the sink saw \(times.count) requests")
            // Base delays after attempts 1, 2, 3: 1 s, 2 s, 4 s; equal jitter: [base/2, base].
            // Above the bound: the delay-tier hop, the controller's batching and process hops.
            print("itest backoff: gaps \(zip(times.dropFirst(), times).map { String(format: "%.2fs", $0.timeIntervalSince($1)) })")
            for (index, base) in [1.0, 2.0, 4.0].enumerated() {
                let gap = times[index + 1].timeIntervalSince(times[index])
                #expect(gap >= base / 2 - 0.05, "gap \(index + 1) was \(gap)s, policy minimum \(base / 2)s")
                #expect(gap <= base + 1.5, "gap \(index + 1) was \(gap)s, policy maximum \(base)s")
            }
            #expect(Set(sink.requests.map(\.key)).count == 1, "every attempt of one round carries one Idempotency-Key")
        }
    }

    /// (c) a 400 fails at once and the job lands in herald.failed with headers saying why.
    @Test func badRequestFailsAtOnceAndIsDeadLettered() async throws {
        try await withHerald("failed", sink: WebhookSink(sequence: [.init(status: 400)])) { vhost, sink, processes in
            let (_, api) = try await processes.serve(broker: vhost.url)
            try await Manifests.applyBasics(api, sinkURL: sink.url)
            try await api.create("Notification", "bad", spec: Manifests.notification("bad", recipients: 1))
            let status = try await eventually("Notification bad Failed", timeout: 30) {
                try await api.get("Notification", "bad")?["status"] ?? .null
            } until: {
                $0["phase"]?.stringValue == "Failed"
            }
            #expect(status["deliveries"]?["failed"]?.intValue == 1)
            let delivery = try #require(try await api.deliveries(of: "bad").first)
            #expect(delivery["status"]?["phase"]?.stringValue == "Failed")
            #expect(delivery["status"]?["attempts"]?.intValue == 1)
            #expect(delivery["status"]?["lastError"]?["class"]?.stringValue == "permanent")
            #expect(sink.count == 1)

            let letters = try await FailedQueueReader.read(url: vhost.url, count: 1, timeout: 20)
            let letter = try #require(letters.first)
            #expect(letter.headers[DeadLetterHeader.reason] == "PermanentFailure", "\(letter.headers)")
            #expect(letter.headers[DeadLetterHeader.attempts] == "1")
            #expect(letter.headers[DeadLetterHeader.message]?.contains("400") == true, "\(letter.headers)")
            let job = try DeliveryJob.decode(letter.body)
            #expect(job.deliveryUID == delivery["metadata"]?["uid"]?.stringValue)
        }
    }

    /// (d) `Retry-After: 2` is a floor: the next attempt comes at least 2 s later, although the
    /// policy alone would retry after at most 100 ms.
    @Test func retryAfterIsHonoured() async throws {
        let sink = WebhookSink(sequence: [.init(status: 503, retryAfter: "2"), .ok])
        try await withHerald("retry-after", sink: sink) { vhost, sink, processes in
            let (_, api) = try await processes.serve(broker: vhost.url)
            try await Manifests.applyBasics(api, sinkURL: sink.url, retry: ["initialBackoff": "100ms", "jitter": "none"])
            try await api.create("Notification", "ra", spec: Manifests.notification("ra", recipients: 1))
            try await api.waitDelivered("ra", timeout: 30)
            let times = sink.requests.map(\.at)
            try #require(times.count == 2, "the sink saw \(times.count) requests")
            let gap = times[1].timeIntervalSince(times[0])
            #expect(gap >= 2.0, "retried after \(gap)s despite Retry-After: 2")
            #expect(gap < 4.0, "retried only after \(gap)s")
        }
    }

    /// (h) deleting a Notification cancels its pending deliveries: scheduled ones are never
    /// sent, and one waiting for its next attempt gets no more.
    @Test func deletingANotificationCancelsItsPendingDeliveries() async throws {
        // Every request fails, so the delivery keeps retrying until it is canceled.
        try await withHerald("delete", sink: WebhookSink(sequence: [.init(status: 503)])) { vhost, sink, processes in
            let (_, api) = try await processes.serve(broker: vhost.url)
            try await Manifests.applyBasics(
                api, sinkURL: sink.url, retry: ["maxAttempts": 10, "initialBackoff": "5s", "multiplier": 1, "jitter": "none"])
            let later = Timestamp.format(Date().addingTimeInterval(3600))
            try await api.create(
                "Notification", "later", spec: Manifests.notification("later", recipients: 3, extra: ["notBefore": .string(later)]))
            try await api.create("Notification", "retrying", spec: Manifests.notification("retrying", recipients: 1))

            try await eventually("later to have 3 pending deliveries", timeout: 30) {
                try await api.get("Notification", "later")?["status"]?["deliveries"]?["pending"]?.intValue ?? 0
            } until: {
                $0 == 3
            }
            let retrying = try await eventually("the delivery of retrying to be Retrying", timeout: 30) {
                try await api.deliveries(of: "retrying").first?["status"] ?? .null
            } until: {
                $0["phase"]?.stringValue == "Retrying"
            }
            #expect((retrying["attempts"]?.intValue ?? 0) >= 1)

            try await api.delete("Notification", "later")
            try await api.delete("Notification", "retrying")
            let sentAtDelete = sink.count
            _ = try await eventually("both notifications to be gone", timeout: 30) {
                let a = try await api.get("Notification", "later")
                let b = try await api.get("Notification", "retrying")
                return a == nil && b == nil
            } until: {
                $0
            }
            // The retry was due 5 s after the first attempt (a 5 s backoff goes straight into the
            // 5 s delay tier, so the job waits in RabbitMQ, not in the controller); wait past it.
            try await Task.sleep(for: .seconds(8))
            #expect(sink.count == sentAtDelete, "requests after the delete: \(sink.requests.dropFirst(sentAtDelete).map(\.body))")
            #expect(sink.requests.allSatisfy { !$0.body.contains("later") }, "a scheduled delivery was sent")
        }
    }
}
