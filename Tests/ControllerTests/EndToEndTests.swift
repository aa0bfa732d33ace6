import Broker
import Controller
import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import Logging
import NIOPosix
import Store
import Testing
import Workers

@testable import herald

/// The whole pipeline in one process: SQLite store, embedded broker, controller, the worker role
/// with the real `JobProcessor` and its log and webhook drivers, and a local webhook sink.
@Suite(.serialized, .timeLimit(.minutes(2))) struct EndToEndTests {
    /// A webhook endpoint whose answers the test scripts: a list of (status, Retry-After) per
    /// request, the last one repeating.
    final class Sink: Sendable {
        let script: [(Int, String?)]
        let requests = Locked<[(key: String, at: Date)]>([])
        let port = Locked<Int>(0)
        /// While false, requests wait before they are answered.
        let open = Locked(true)
        /// Requests being answered now, and the most at once.
        let inFlight = Locked((now: 0, most: 0))

        init(_ script: [(Int, String?)]) { self.script = script }

        var url: String { "http://127.0.0.1:\(port.withLock { $0 })/hook" }
        var times: [Date] { requests.withLock { $0.map(\.at) } }

        func answer(key: String) -> (Int, String?) {
            let n = requests.withLock { r -> Int in
                r.append((key, Date()))
                return r.count
            }
            return script[min(n, script.count) - 1]
        }

        func run() async throws {
            let router = Router()
            router.post("hook") { request, _ -> Response in
                let key = HTTPField.Name("Idempotency-Key").flatMap { request.headers[$0] } ?? ""
                self.inFlight.withLock { $0 = (now: $0.now + 1, most: max($0.most, $0.now + 1)) }
                defer { self.inFlight.withLock { $0.now -= 1 } }
                let (status, retryAfter) = self.answer(key: key)
                while !self.open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                var headers = HTTPFields()
                if let retryAfter { headers[.retryAfter] = retryAfter }
                return Response(status: .init(code: status), headers: headers)
            }
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port ?? 0 } },
                logger: Logger(label: "sink"))
            try await app.runService()
        }
    }

    struct Pipeline {
        let t: TestStore
        let broker: EmbeddedBroker
    }

    /// Runs store, embedded broker, controller and worker until `body` returns.
    func withPipeline(sink: Sink? = nil, workerConcurrency: Int = 16, _ body: (Pipeline) async throws -> Void) async throws {
        let t = try TestStore()
        defer { t.remove() }
        var logger = Logger(label: "e2e")
        logger.logLevel = ProcessInfo.processInfo.environment["HERALD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let broker = EmbeddedBroker(logger: logger)
        try await broker.declareTopology()
        let parts = Roles.workerParts()
        defer { parts.shutdown() }
        let controller = Roles.controller(
            store: t.store, broker: broker, notificationWorkers: ControllerOptions.embeddedStoreDefault, logger: logger
        ).service
        let worker = Roles.worker(
            broker: broker, secrets: StoreSecretResolver(store: t.store), delayedJobs: StoreDelayedJobCheck(store: t.store),
            parts: parts, concurrency: workerConcurrency, logger: logger)
        let tasks: [Task<Void, any Error>] = [
            Task { try await broker.run() }, Task { try await controller.run() }, Task { try await worker.run() },
            Task { try await sink?.run() },
        ]
        defer { for task in tasks { task.cancel() } }
        if let sink {
            while sink.port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await body(Pipeline(t: t, broker: broker))
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
    }

    let webhookTemplate: JSON = ["webhook": ["body": "{\"hello\":\"{{name}}\"}"]]

    @Test func threeRecipientsThroughTheLogChannel() async throws {
        try await withPipeline { p in
            try await p.t.create("Channel", "log", ["type": "log"])
            for name in ["ada", "bob", "cy"] {
                try await p.t.create("Recipient", name, ["email": .string("\(name)@example.com")], labels: ["team": "sre"])
            }
            try await p.t.create(
                "Notification", "hello",
                [
                    "message": ["subject": "Hi", "text": "Hello {{name}}"], "variables": ["name": "team"], "channels": ["log"],
                    "to": [["selector": ["matchLabels": ["team": "sre"]]]],
                ])
            let n = try await p.t.waitFor("Notification", "hello") { $0?.conditionStatus("Delivered") == "True" }
            #expect(n?.status?["deliveries"]?["delivered"] == 3)
            #expect(n?.status?["deliveries"]?["total"] == 3)
            #expect(n?.condition("Delivered")?["message"] == "3/3 delivered")
            let deliveries = try await p.t.deliveries(of: "hello")
            #expect(deliveries.allSatisfy { $0.status?["renderedDigest"]?.stringValue?.hasPrefix("sha256:") == true })
        }
    }

    @Test func webhook503ThenDelivered() async throws {
        let sink = Sink([(503, nil), (200, nil)])
        try await withPipeline(sink: sink) { p in
            try await p.t.create(
                "Channel", "hooks",
                ["type": "webhook", "webhook": ["url": .string(sink.url)], "retry": ["initialBackoff": "500ms", "jitter": "none"]])
            try await p.t.create("Template", "t", webhookTemplate)
            let phases = Locked<[String]>([])
            let watch = Task {
                for try await e in try await p.t.store.watch(kind: "Delivery", namespace: "default", options: ListOptions(), after: nil) {
                    if let ph = e.object.phase { phases.withLock { if $0.last != ph { $0.append(ph) } } }
                }
            }
            defer { watch.cancel() }
            try await p.t.create(
                "Notification", "hook",
                [
                    "templateRef": ["name": "t"], "variables": ["name": "Ada"], "channels": ["hooks"],
                    "to": [["address": ["email": "a@x.io"]]],
                ])
            try await p.t.waitFor("Notification", "hook") { $0?.conditionStatus("Delivered") == "True" }
            let d = try await p.t.deliveries(of: "hook").first
            #expect(d?.status?["attempts"] == 2)
            try await Task.sleep(for: .milliseconds(50))
            #expect(phases.withLock { $0 } == ["Queued", "Retrying", "Queued", "Delivered"])
            let times = sink.times
            #expect(times.count == 2)
            if times.count == 2 { #expect(times[1].timeIntervalSince(times[0]) >= 0.5) }
            // Every attempt of one round carries the same Idempotency-Key.
            let keys = Set(sink.requests.withLock { $0.map(\.key) })
            #expect(keys.count == 1 && keys.first?.isEmpty == false)
        }
    }

    @Test func webhook400FailsAndDeadLetters() async throws {
        let sink = Sink([(400, nil)])
        try await withPipeline(sink: sink) { p in
            try await p.t.create("Channel", "hooks", ["type": "webhook", "webhook": ["url": .string(sink.url)]])
            try await p.t.create("Template", "t", webhookTemplate)
            try await p.t.create(
                "Notification", "bad",
                [
                    "templateRef": ["name": "t"], "variables": ["name": "Ada"], "channels": ["hooks"],
                    "to": [["address": ["email": "a@x.io"]]],
                ])
            let n = try await p.t.waitFor("Notification", "bad") { $0?.phase == "Failed" }
            #expect(n?.condition("Ready")?["status"] == "False")
            let d = try await p.t.deliveries(of: "bad").first
            #expect(d?.status?["reason"] == "PermanentFailure")
            #expect(sink.times.count == 1)
            // The dead letter is in herald.failed, with headers saying why.
            let failed = try await p.broker.consume(queue: p.broker.topology.failedQueue, prefetch: 10)
            let letter = try #require(try await failed.next())
            #expect(letter.headers[DeadLetterHeader.reason] == "PermanentFailure")
            #expect(letter.headers[DeadLetterHeader.attempts] == "1")
            let job = try DeliveryJob.decode(letter.body)
            #expect(job.deliveryUID == d?.uid)
            await failed.cancel()
        }
    }

    @Test func retryAfterTwoSecondsIsHonoured() async throws {
        let sink = Sink([(503, "2"), (200, nil)])
        try await withPipeline(sink: sink) { p in
            try await p.t.create(
                "Channel", "hooks", ["type": "webhook", "webhook": ["url": .string(sink.url)], "retry": ["initialBackoff": "100ms"]])
            try await p.t.create("Template", "t", webhookTemplate)
            try await p.t.create(
                "Notification", "ra",
                [
                    "templateRef": ["name": "t"], "variables": ["name": "Ada"], "channels": ["hooks"],
                    "to": [["address": ["email": "a@x.io"]]],
                ])
            try await p.t.waitFor("Notification", "ra", timeout: 15) { $0?.conditionStatus("Delivered") == "True" }
            let times = sink.times
            #expect(times.count == 2)
            if times.count == 2 {
                #expect(times[1].timeIntervalSince(times[0]) >= 2.0)
                #expect(times[1].timeIntervalSince(times[0]) < 3.5)
            }
        }
    }

    @Test func deletingCancelsPendingDeliveries() async throws {
        try await withPipeline { p in
            try await p.t.create("Channel", "log", ["type": "log"])
            try await p.t.create(
                "Notification", "later",
                [
                    "message": ["text": "later"], "channels": ["log"],
                    "notBefore": .string(Timestamp.format(Date().addingTimeInterval(3600))),
                    "to": [["address": ["email": "a@x.io"]], ["address": ["email": "b@x.io"]], ["address": ["email": "c@x.io"]]],
                ])
            try await p.t.waitFor("Notification", "later") { $0?.status?["deliveries"]?["pending"] == 3 }
            _ = try await p.t.store.delete(ObjectKey(kind: "Notification", namespace: "default", name: "later"))
            try await p.t.waitFor("Notification", "later") { $0 == nil }
            let after = try await p.t.deliveries(of: "later")
            #expect(after.count == 3)
            #expect(after.allSatisfy { $0.phase == "Canceled" })
            #expect(await p.broker.readyCount(queue: p.broker.topology.jobsQueue(for: .log)) == 0)
        }
    }

    /// A retry waiting in the 5 s delay tier (in the broker, out of the controller's reach) when
    /// its Notification is deleted is not sent when it comes out: the worker asks first.
    @Test func deletingDropsARetryWaitingInADelayTier() async throws {
        let sink = Sink([(503, nil)])
        try await withPipeline(sink: sink) { p in
            try await p.t.create(
                "Channel", "hooks",
                [
                    "type": "webhook", "webhook": ["url": .string(sink.url)],
                    "retry": ["initialBackoff": "5s", "multiplier": 1, "jitter": "none", "maxAttempts": 5],
                ])
            try await p.t.create("Template", "t", webhookTemplate)
            try await p.t.create(
                "Notification", "gone",
                [
                    "templateRef": ["name": "t"], "variables": ["name": "Ada"], "channels": ["hooks"],
                    "to": [["address": ["email": "a@x.io"]]],
                ])
            try await p.t.waitFor("Notification", "gone") { $0?.status?["deliveries"]?["retrying"] == 1 }
            _ = try await p.t.store.delete(ObjectKey(kind: "Notification", namespace: "default", name: "gone"))
            try await p.t.waitFor("Notification", "gone") { $0 == nil }
            try await Task.sleep(for: .seconds(6))
            #expect(sink.times.count == 1, "\(sink.times.count) requests; the retry after the delete was sent")
        }
    }

    /// A message's jobs start together, and hold their places in the worker's concurrency until
    /// the message is acknowledged: with room for 4, a second pack of 3 waits for the first to
    /// finish rather than starting one job beside it. That is what bounds the jobs a killed worker
    /// has sent but not acknowledged by its concurrency.
    @Test func aPackStartsOnlyWhenAllItsJobsHaveRoom() async throws {
        let sink = Sink([(200, nil)])
        sink.open.withLock { $0 = false }
        try await withPipeline(sink: sink, workerConcurrency: 4) { p in
            let packs = [["a", "b", "c"], ["d", "e", "f"]].map { uids in
                let body = JobMessage.body(uids.map { webhookJob($0, sink).encoded() })
                return OutgoingMessage.job(.webhook, body: body, topology: p.broker.topology)
            }
            try await p.broker.publish(packs)
            let deadline = Date().addingTimeInterval(10)
            while sink.inFlight.withLock({ $0.now }) < 3, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(sink.inFlight.withLock { $0.most } == 3, "the second pack started beside the first")
            #expect(Set(sink.requests.withLock { $0.map(\.key) }) == ["a-1", "b-1", "c-1"])
            sink.open.withLock { $0 = true }
            while sink.times.count < 6, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(sink.times.count == 6)
            #expect(sink.inFlight.withLock { $0.most } == 3)
        }
    }

    func webhookJob(_ uid: String, _ sink: Sink) -> DeliveryJob {
        DeliveryJob(
            deliveryUID: uid, namespace: "default", delivery: "d-\(uid)", notification: "n", attempt: 1,
            channel: JobChannel(name: "hooks", type: "webhook", spec: ["type": "webhook", "webhook": ["url": .string(sink.url)]]),
            template: webhookTemplate, variables: ["name": "Ada"], recipient: JobRecipient(address: ["email": "a@x.io"]),
            correlationID: "c", idempotencyKey: "\(uid)-1")
    }

    /// A pack of jobs with one element the worker cannot read: the others are sent, and that one
    /// alone goes to `herald.failed`, as it came, saying why.
    @Test func aPackWithAnUnreadableJobSendsTheOthers() async throws {
        let sink = Sink([(200, nil)])
        try await withPipeline(sink: sink) { p in
            func job(_ uid: String) -> [UInt8] { webhookJob(uid, sink).encoded() }
            let bad = Array(#"{"deliveryUID":"broken","attempt":"one"}"#.utf8)
            try await p.broker.publish(
                OutgoingMessage.job(.webhook, body: JobMessage.body([job("a"), bad, job("c")]), topology: p.broker.topology))
            let failed = try await p.broker.consume(queue: p.broker.topology.failedQueue, prefetch: 10)
            let letter = try #require(try await failed.next())
            #expect(letter.headers[DeadLetterHeader.reason] == "Undecodable")
            #expect(letter.headers[DeadLetterHeader.message]?.contains("field [1].") == true, "\(letter.headers)")
            #expect(try JSON.parse(letter.body) == JSON.parse(bad))
            await failed.cancel()
            let deadline = Date().addingTimeInterval(10)
            while sink.times.count < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(Set(sink.requests.withLock { $0.map(\.key) }) == ["a-1", "c-1"])
            #expect(await p.broker.readyCount(queue: p.broker.topology.jobsQueue(for: .webhook)) == 0)
        }
    }
}
