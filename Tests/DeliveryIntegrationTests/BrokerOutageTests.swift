import Foundation
import HeraldAPI
import Testing

/// (f) RabbitMQ stopped for 10 s in the middle of a run. On a private node, so the outage
/// touches no other test (the shared node serves every other RabbitMQ test at the same time).
@Suite(
    "RabbitMQ outage mid-run",
    .enabled(if: PrivateRabbitMQNode.canStart, IntegrationEnvironment.rabbitMQMissing),
    .timeLimit(.minutes(3))
)
struct BrokerOutageTests {
    @Test func everythingIsDeliveredAfterRabbitMQIsStoppedForTenSeconds() async throws {
        let node = try await PrivateRabbitMQNode.start()
        do {
            try await run(on: node)
        } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }

    private func run(on node: PrivateRabbitMQNode) async throws {
        // 600 deliveries at about 80/s (4 in flight, 50 ms each): the outage lands mid-run.
        try await withHerald("outage", sink: WebhookSink(delay: .milliseconds(50)), node: node) { vhost, sink, processes in
            let (serve, api) = try await processes.serve(broker: vhost.url, workerConcurrency: 4)
            try await Manifests.applyBasics(api, sinkURL: sink.url)
            let names = (0..<6).map { "wave-\($0)" }
            for name in names {
                try await api.create("Notification", name, spec: Manifests.notification(name, recipients: 100))
            }
            _ = try await eventually("the sink to see 100 requests", timeout: 60) {
                sink.count
            } until: {
                $0 >= 100
            }
            try await node.control("stop_app")
            let seenAtStop = sink.count
            try await Task.sleep(for: .seconds(10))
            try await node.control("start_app")
            #expect(seenAtStop < 600, "the run finished before the outage")
            #expect(serve.isRunning, "herald serve exited during the outage")

            _ = try await eventually("every delivery to be delivered", timeout: 120, interval: .milliseconds(500)) {
                var delivered = 0
                for name in names {
                    delivered += Int(try await api.get("Notification", name)?["status"]?["deliveries"]?["delivered"]?.intValue ?? 0)
                }
                return delivered
            } until: {
                $0 == 600
            }
            #expect(Set(sink.requests.map(\.key)).count == 600)
        }
    }
}
