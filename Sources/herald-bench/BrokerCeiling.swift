import Broker
import Foundation
import Logging
import ServiceLifecycle

/// RabbitMQ's own ceiling on this machine for Herald's message shape: `count` persistent
/// messages published with confirms (in the batches a controller uses) into a job queue and
/// consumed back with manual, batched acks. Nothing else runs meanwhile, so end-to-end
/// deliveries/s divided by this is the share of the broker's capacity Herald turns into
/// deliveries.
enum BrokerCeiling {
    struct Figures {
        var messagesPerSecond: Double
        var seconds: Double
    }

    static func measure(url: String, count: Int, body: [UInt8], batch: Int = 500) async throws -> Figures {
        var logger = Logger(label: "herald-bench.ceiling")
        logger.logLevel = .warning
        let broker = try RabbitMQBroker(url: url, logger: logger)
        let running = Task { try await broker.run() }
        defer { running.cancel() }
        try await broker.declareTopology()
        let queue = broker.topology.jobsQueue(for: .webhook)
        let consumer = try await broker.consume(queue: queue, prefetch: 1000)
        let start = now()
        let figures = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Publishes in flight at once, like the controller's batcher under load.
                try await withThrowingTaskGroup(of: Void.self) { publishers in
                    var next = 0
                    var inFlight = 0
                    while next < count {
                        if inFlight == 4 {
                            try await publishers.next()
                            inFlight -= 1
                        }
                        let n = min(batch, count - next)
                        let messages = (0..<n).map { i in
                            OutgoingMessage.job(.webhook, body: body, messageID: "ceiling-\(next + i)")
                        }
                        next += n
                        inFlight += 1
                        publishers.addTask { try await broker.publish(messages) }
                    }
                    try await publishers.waitForAll()
                }
            }
            var received = 0
            var unacked = 0
            for try await delivery in consumer {
                received += 1
                unacked += 1
                if unacked == 250 || received == count {
                    try await consumer.ack(delivery, multiple: true)
                    unacked = 0
                }
                if received == count { break }
            }
            try await group.waitForAll()
            let elapsed = now() - start
            return Figures(messagesPerSecond: Double(count) / elapsed, seconds: elapsed)
        }
        await consumer.cancel()
        running.cancel()
        _ = await running.result
        return figures
    }
}
