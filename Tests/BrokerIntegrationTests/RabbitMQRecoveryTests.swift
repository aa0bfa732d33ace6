import Broker
import Foundation
import Testing

/// Recovery from server outages, on a private node (see ``PrivateRabbitMQNode``).
@Suite(
    "RabbitMQ broker recovering from outages",
    .serialized,
    .enabled(if: PrivateRabbitMQNode.canStart, RabbitMQTestEnvironment.skipMessage),
    .privateRabbitMQNode,
    .timeLimit(.minutes(5))
)
struct RabbitMQRecoveryTests {
    var node: PrivateRabbitMQNode {
        get throws {
            guard let node = PrivateRabbitMQNode.current else { throw TestFailure("the private RabbitMQ node did not start") }
            return node
        }
    }

    /// A frozen server keeps the TCP connection open but says nothing: only the missing
    /// heartbeats reveal it, and the broker must then reconnect on its own.
    @Test func aSilentServerIsDetectedByMissingHeartbeats() async throws {
        let node = try self.node
        let topology = uniqueTopology("frozen")
        let warnings = WarningCollector()
        try await withRabbitMQBroker(url: node.url, topology: topology, logger: warnings.logger("test.frozen")) {
            $0.heartbeat = .seconds(2)
        } _: { broker in
            try await broker.declareTopology()
            try node.signal(SIGSTOP)
            do {
                try await Task.sleep(for: .seconds(6))
            } catch {
                try node.signal(SIGCONT)
                throw error
            }
            try node.signal(SIGCONT)
            try await withTimeLimit(.seconds(30), "publishing after the freeze") {
                try await broker.publish(.toQueue(topology.resultsQueue, body: body("after the freeze")))
            }
        }
        #expect(warnings.collected.contains { $0.contains("heartbeat") }, "\(warnings.collected)")
    }

    @Test func publishingAndConsumingSurviveABrokerRestart() async throws {
        let node = try self.node
        let topology = uniqueTopology("restart")
        let before = 2_000
        let during = 4_000
        try await withRabbitMQBroker(url: node.url, topology: topology) { broker in
            try await broker.declareTopology()
            try await broker.publish(
                (0..<before).map {
                    .job(.email, body: body("\($0)"), topology: topology, messageID: "\($0)")
                })

            let consumer = try await broker.consume(queue: topology.jobsQueue(for: .email), prefetch: 100)
            let seen = LockedSet()
            let expected = Set((0..<(before + during)).map(String.init))

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await delivery in consumer {
                        let count = seen.insert(delivery.messageID ?? "")
                        try await consumer.ack(delivery)
                        // Slow down so the restart happens mid-stream.
                        if count < 600 { try await Task.sleep(for: .milliseconds(1)) }
                        if count == expected.count { return }
                    }
                }
                // Wait until consumption is under way, then restart the node's application.
                try await withTimeLimit(.seconds(20), "consuming the first messages") {
                    while seen.count < 300 { try await Task.sleep(for: .milliseconds(20)) }
                }
                group.addTask {
                    // Keeps publishing while the node stops and comes back: batches in flight at
                    // the disconnect are republished, later ones wait for the reconnect.
                    for start in stride(from: before, to: before + during, by: 100) {
                        try await broker.publish(
                            (start..<(start + 100)).map {
                                .job(.email, body: body("\($0)"), topology: topology, messageID: "\($0)")
                            })
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                try await node.control("stop_app")
                try await Task.sleep(for: .seconds(2))
                try await node.control("start_app")
                try await node.control("await_startup")
                try await withTimeLimit(.seconds(60), "consuming everything after the restart") {
                    while seen.count < expected.count { try await Task.sleep(for: .milliseconds(50)) }
                }
                try await group.waitForAll()
            }
            await consumer.cancel()
            #expect(seen.values == expected)
        }
    }
}
