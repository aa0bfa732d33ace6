import Foundation
import HeraldAPI
import Testing

/// Herald's roles as separate processes (`herald apiserver`, `controller`, `worker`) on one
/// PostgreSQL store (a schema per test) and a real RabbitMQ (a vhost per test): killed with
/// SIGKILL in the middle of a run, and a worker apart from the store.
@Suite(
    "Herald roles as separate processes",
    .enabled(if: IntegrationEnvironment.hasRabbitMQAndPostgres, IntegrationEnvironment.rabbitMQOrPostgresMissing),
    .timeLimit(.minutes(3))
)
struct ProcessFailureTests {
    /// Waits until every notification reports all its deliveries delivered.
    static func waitAllDelivered(_ api: HeraldClient, _ names: [String], each: Int, timeout: Double) async throws {
        _ = try await eventually("\(names.count) notifications × \(each) to be delivered", timeout: timeout, interval: .milliseconds(500)) {
            var delivered: [String: Int] = [:]
            for name in names {
                delivered[name] = Int(try await api.get("Notification", name)?["status"]?["deliveries"]?["delivered"]?.intValue ?? 0)
            }
            return delivered
        } until: {
            $0.values.allSatisfy { $0 == each }
        }
    }

    /// (e) the worker process is SIGKILLed in the middle of 1,000 deliveries and a new one
    /// started: all end Delivered, and every repeat the sink saw carries a key it saw before.
    @Test func workerKilledInTheMiddleOfAThousandDeliveries() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        // A slow endpoint keeps jobs in flight in the worker when it is killed.
        try await withHerald("worker-kill", sink: WebhookSink(delay: .milliseconds(5))) { vhost, sink, processes in
            let (_, api) = try await processes.apiserver(store: store)
            _ = try processes.controller(store: store, broker: vhost.url)
            let first = try processes.worker(broker: vhost.url, server: api.server, concurrency: 32)
            try await Manifests.applyBasics(api, sinkURL: sink.url)
            let names = (0..<10).map { "bulk-\($0)" }
            for name in names {
                try await api.create("Notification", name, spec: Manifests.notification(name, recipients: 100, sinkURL: sink.url))
            }
            _ = try await eventually("the sink to see 300 requests", timeout: 60) {
                sink.count
            } until: {
                $0 >= 300
            }
            await first.kill()
            let seenAtKill = sink.count
            #expect(first.exitStatus == 128 + SIGKILL)
            #expect(seenAtKill < 1000, "the worker finished before it was killed (\(seenAtKill) requests)")
            _ = try processes.worker(broker: vhost.url, server: api.server, concurrency: 32)
            try await Self.waitAllDelivered(api, names, each: 100, timeout: 120)

            let requests = sink.requests
            let keys = Set(requests.map(\.key))
            #expect(keys.count == 1000, "distinct Idempotency-Keys: \(keys.count)")
            #expect(!keys.contains(""))
            // Per recipient (told by its own URL): every repeat carries the key of its first
            // request, so the endpoint can recognise it.
            let byRecipient = Dictionary(grouping: requests, by: \.recipient)
            #expect(byRecipient.count == 1000, "recipients reached: \(byRecipient.count)")
            let repeated = byRecipient.filter { $0.value.count > 1 }
            for (recipient, sent) in repeated {
                #expect(Set(sent.map(\.key)).count == 1, "\(recipient) was sent with keys \(Set(sent.map(\.key)))")
            }
            // Only jobs in flight in the killed worker may be sent twice: at most its prefetch.
            let repeats = requests.count - byRecipient.count
            #expect(repeats <= 32, "\(repeats) repeated requests")
            print("itest worker-kill: killed after \(seenAtKill) requests; \(requests.count) requests, \(repeats) repeats")
            // Each delivery's key is the one the sink saw: uid-round of a Delivery of ours.
            let uids = Set(try await api.deliveries().compactMap { $0["metadata"]?["uid"]?.stringValue })
            #expect(uids.count == 1000)
            #expect(keys.allSatisfy { key in uids.contains { key.hasPrefix($0) } })
        }
    }

    /// (i) two controllers on one store: the leader is SIGKILLed mid-run, the other takes over
    /// the lease and the run completes.
    @Test func secondControllerTakesOverWhenTheLeaderIsKilled() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        try await withHerald("leader-kill", sink: WebhookSink(delay: .milliseconds(100))) { vhost, sink, processes in
            let (_, api) = try await processes.apiserver(store: store)
            let leader = try processes.controller(store: store, broker: vhost.url)
            try await leader.waitForLog("became leader", timeout: 60)
            let standby = try processes.controller(store: store, broker: vhost.url)
            try await standby.waitForLog("another replica leads", timeout: 60)
            _ = try processes.worker(broker: vhost.url, server: api.server, concurrency: 2)
            try await Manifests.applyBasics(api, sinkURL: sink.url)
            let names = (0..<4).map { "run-\($0)" }
            for name in names {
                try await api.create("Notification", name, spec: Manifests.notification(name, recipients: 50))
            }
            _ = try await eventually("the sink to see 40 requests", timeout: 60) {
                sink.count
            } until: {
                $0 >= 40
            }
            await leader.kill()
            #expect(sink.count < 200, "the run finished before the leader was killed")
            #expect(!standby.log.contains("became leader"))
            // The lease lasts 15 s: the standby leads once it expires.
            try await standby.waitForLog("became leader", timeout: 40)
            try await Self.waitAllDelivered(api, names, each: 50, timeout: 90)
            #expect(Set(sink.requests.map(\.key)).count == 200)
        }
    }

    /// (h) with `herald worker` apart: the worker reads the Delivery from the API server before
    /// sending a retry that waited in a delay tier, and drops it once the Notification is gone.
    @Test func separateWorkerDropsARetryOfADeletedNotification() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        try await withHerald("worker-delete", sink: WebhookSink(sequence: [.init(status: 503)])) { vhost, sink, processes in
            let (_, api) = try await processes.apiserver(store: store)
            _ = try processes.controller(store: store, broker: vhost.url)
            let worker = try processes.worker(broker: vhost.url, server: api.server)
            // A 5 s backoff goes straight into the 5 s delay tier: the job waits in RabbitMQ.
            try await Manifests.applyBasics(
                api, sinkURL: sink.url, retry: ["maxAttempts": 10, "initialBackoff": "5s", "multiplier": 1, "jitter": "none"])
            try await api.create("Notification", "doomed", spec: Manifests.notification("doomed", recipients: 1))
            try await eventually("the delivery of doomed to be Retrying", timeout: 60) {
                try await api.deliveries(of: "doomed").first?["status"]?["phase"]?.stringValue ?? ""
            } until: {
                $0 == "Retrying"
            }
            try await api.delete("Notification", "doomed")
            try await eventually("doomed to be gone", timeout: 30) {
                try await api.get("Notification", "doomed") == nil
            } until: {
                $0
            }
            try await Task.sleep(for: .seconds(7))
            #expect(sink.count == 1, "\(sink.count) requests: the retry after the delete was sent")
            #expect(worker.log.contains("dropped a delayed job"), "the worker never dropped the delayed job")
        }
    }
}
