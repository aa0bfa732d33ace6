import Broker
import Foundation
import Testing

/// `RabbitMQBroker.isConnected`, which the worker's `/readyz` reports.
@Suite("RabbitMQ broker connection state", .timeLimit(.minutes(1)))
struct RabbitMQConnectionStateTests {
    @Test(.enabled(if: RabbitMQTestEnvironment.isAvailable, RabbitMQTestEnvironment.skipMessage))
    func connectedOnceRunningAndWithConsumers() async throws {
        let topology = uniqueTopology("state")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            try await eventually("the publisher connection to count as up") { broker.isConnected }
            // A consumer opens the second connection; both are up.
            let consumer = try await broker.consume(queue: topology.failedQueue, prefetch: 1)
            try await eventually("both connections to count as up") { broker.isConnected }
            await consumer.cancel()
        }
    }

    @Test func notConnectedBeforeRunningNorWhileTheServerRefuses() async throws {
        // Nothing listens on port 1: every attempt is refused at once.
        var configuration = try RabbitMQConfiguration(url: "amqp://guest:guest@127.0.0.1:1/")
        configuration.topology = uniqueTopology("refused")
        configuration.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(50))
        let broker = try RabbitMQBroker(configuration: configuration, logger: testLogger("test.rabbitmq.refused"))
        #expect(!broker.isConnected)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await broker.run() }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!broker.isConnected)
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(!broker.isConnected)
    }

    func eventually(_ what: String, _ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("waited 10 s for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
