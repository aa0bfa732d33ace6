import Foundation
import HeraldAPI
import Testing

/// (g) high-priority jobs overtake normal ones waiting in RabbitMQ. The API server and the
/// controller run first, without a worker, until every job waits in `herald.jobs.webhook`;
/// then a worker starts and the sink records the order in which deliveries arrive.
@Suite(
    "Priority through RabbitMQ",
    .enabled(if: IntegrationEnvironment.hasRabbitMQAndPostgres, IntegrationEnvironment.rabbitMQOrPostgresMissing),
    .timeLimit(.minutes(3))
)
struct PriorityTests {
    @Test func highPriorityJobsPublishedBehindFiveThousandNormalOnesGoFirst() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        try await withHerald("priority") { vhost, sink, processes in
            let (_, api) = try await processes.apiserver(store: store)
            _ = try processes.controller(store: store, broker: vhost.url)
            try await Manifests.applyBasics(api, sinkURL: sink.url)
            for index in 0..<10 {
                try await api.create("Notification", "normal-\(index)", spec: Manifests.notification("normal-\(index)", recipients: 500))
            }
            let queue = "herald.jobs.webhook"
            // A Notification's status counts its deliveries once their jobs are confirmed in the
            // queue (the controller publishes before it writes status). Jobs travel packed, several
            // to a message, so the queue's message count is not the job count.
            func queuedJobs(_ names: [String]) async throws -> Int {
                var total = 0
                for name in names {
                    total += try await api.get("Notification", name)?["status"]?["deliveries"]?["total"]?.intValue.map(Int.init) ?? 0
                }
                return total
            }
            let normal = (0..<10).map { "normal-\($0)" }
            _ = try await eventually("5,000 normal jobs waiting in \(queue)", timeout: 120, interval: .seconds(1)) {
                try await queuedJobs(normal)
            } until: {
                $0 >= 5000
            }
            let normalMessages = try await vhost.readyMessages(queue)
            try await api.create("Notification", "urgent", spec: Manifests.notification("urgent", recipients: 200, priority: "high"))
            _ = try await eventually("200 urgent jobs waiting in \(queue)", timeout: 60, interval: .seconds(1)) {
                try await queuedJobs(["urgent"])
            } until: {
                $0 >= 200
            }
            let messages = try await vhost.readyMessages(queue)
            print(
                "itest priority: \(normalMessages) messages carry the 5,000 normal jobs, \(messages - normalMessages) the 200 urgent ones")
            #expect(messages > normalMessages)

            _ = try processes.worker(broker: vhost.url, server: api.server, concurrency: 8)
            _ = try await eventually("the sink to see 1,000 requests", timeout: 120, interval: .milliseconds(200)) {
                sink.count
            } until: {
                $0 >= 1000
            }

            let order = sink.requests.prefix(1000)
            let urgentPositions = order.enumerated().filter { $0.element.body.contains("\"n\":\"urgent\"") }.map(\.offset)
            #expect(urgentPositions.count == 200, "only \(urgentPositions.count) of 200 urgent deliveries among the first 1,000")
            // Ahead of most of the 5,000: all within the first 200 plus the jobs running and the
            // message in hand when they arrived (the worker takes what it holds by priority).
            let late = urgentPositions.filter { $0 >= 300 }
            print(
                "itest priority: urgent deliveries at positions \(urgentPositions.first ?? -1)…\(urgentPositions.last ?? -1) of the first 1,000"
            )
            #expect(late.isEmpty, "urgent deliveries arrived at positions \(late.prefix(20)) …")
        }
    }
}
