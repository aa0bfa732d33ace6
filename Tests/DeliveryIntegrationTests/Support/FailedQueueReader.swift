import Broker
import Foundation
import Logging

/// Reads dead letters from `herald.failed` of a vhost through Herald's own RabbitMQ client.
enum FailedQueueReader {
    /// The first `count` messages of `herald.failed`, acknowledged; fails after `timeout`.
    static func read(url: String, count: Int, timeout: Double) async throws -> [Delivery] {
        var logger = Logger(label: "itest.failed-reader")
        logger.logLevel = .warning
        let broker = try RabbitMQBroker(configuration: try RabbitMQConfiguration(url: url), logger: logger)
        let running = Task { try await broker.run() }
        defer { running.cancel() }
        let consumer = try await broker.consume(queue: broker.topology.failedQueue, prefetch: 10)
        let reading = Task { () throws -> [Delivery] in
            var letters: [Delivery] = []
            while letters.count < count, let letter = try await consumer.next() {
                letters.append(letter)
                try await consumer.ack(letter)
            }
            return letters
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(timeout))
            reading.cancel()
        }
        defer { timer.cancel() }
        let letters = try await reading.value
        await consumer.cancel()
        running.cancel()
        _ = await running.result
        return letters
    }
}
