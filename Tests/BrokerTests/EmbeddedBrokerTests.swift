import Logging
import Testing

@testable import Broker

/// Runs `body` with a running embedded broker whose delay tiers last `tierDelay` each.
private func withEmbeddedBroker<T: Sendable>(
    tierDelay: Duration = .milliseconds(50),
    _ body: @Sendable (EmbeddedBroker) async throws -> T
) async throws -> T {
    let broker = EmbeddedBroker(
        configuration: .init(tierDelay: { tier in
            // Keep the tiers' order while making them short.
            tierDelay * Int(tier.milliseconds / 1_000)
        }))
    try await broker.declareTopology()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await broker.run() }
        defer { group.cancelAll() }
        return try await body(broker)
    }
}

/// The next `count` deliveries, failing instead of hanging.
private func take(_ count: Int, from consumer: BrokerConsumer, within limit: Duration = .seconds(5)) async throws -> [Delivery] {
    try await withThrowingTaskGroup(of: [Delivery]?.self) { group in
        group.addTask {
            var deliveries: [Delivery] = []
            for try await delivery in consumer {
                deliveries.append(delivery)
                if deliveries.count == count { return deliveries }
            }
            throw EmbeddedTestFailure("the consumer ended after \(deliveries.count) of \(count) deliveries")
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let deliveries = result else {
            throw EmbeddedTestFailure("fewer than \(count) deliveries within \(limit)")
        }
        return deliveries
    }
}

/// Whether anything arrives within `window`. Cancelling the wait ends the subscription (as
/// cancelling any iteration does), so only use it as a consumer's last check.
private func nothingArrives(on consumer: BrokerConsumer, within window: Duration = .milliseconds(200)) async -> Bool {
    (try? await take(1, from: consumer, within: window)) == nil
}

private struct EmbeddedTestFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite(.timeLimit(.minutes(1)))
struct EmbeddedBrokerTests {
    let topology = Topology.standard

    @Test func deliversHighestPriorityFirstThenInOrder() async throws {
        try await withEmbeddedBroker { broker in
            let queue = topology.jobsQueue(for: .email)
            try await broker.publish([
                .job(.email, body: bytes("low-1"), priority: 1),
                .job(.email, body: bytes("high-1"), priority: 9),
                .job(.email, body: bytes("low-2"), priority: 1),
                .job(.email, body: bytes("mid"), priority: 5),
                .job(.email, body: bytes("high-2"), priority: 9),
            ])
            let consumer = try await broker.consume(queue: queue, prefetch: 0)
            let order = try await take(5, from: consumer).map { text($0.body) }
            #expect(order == ["high-1", "high-2", "mid", "low-1", "low-2"])
        }
    }

    @Test func prefetchLimitsUnacknowledgedDeliveries() async throws {
        try await withEmbeddedBroker { broker in
            try await broker.publish((0..<10).map { .job(.log, body: bytes("\($0)")) })
            let consumer = try await broker.consume(queue: topology.jobsQueue(for: .log), prefetch: 3)
            let first = try await take(3, from: consumer)
            // Held back by the prefetch: still in the queue, not buffered for the consumer.
            #expect(await broker.readyCount(queue: topology.jobsQueue(for: .log)) == 7)
            // A multiple ack of the third releases all three slots.
            try await consumer.ack(first[2], multiple: true)
            let next = try await take(3, from: consumer)
            #expect(next.map { text($0.body) } == ["3", "4", "5"])
            #expect(await broker.readyCount(queue: topology.jobsQueue(for: .log)) == 4)
        }
    }

    @Test func unacknowledgedDeliveriesAreRedeliveredWhenTheConsumerStops() async throws {
        try await withEmbeddedBroker { broker in
            let queue = topology.jobsQueue(for: .sms)
            try await broker.publish((0..<4).map { .job(.sms, body: bytes("\($0)")) })
            let first = try await broker.consume(queue: queue, prefetch: 2)
            let held = try await take(2, from: first)
            try await first.ack(held[0])
            await first.cancel()

            let second = try await broker.consume(queue: queue, prefetch: 10)
            let rest = try await take(3, from: second)
            #expect(rest.map { text($0.body) } == ["1", "2", "3"])
            // "2" was dispatched to the first consumer (after the ack freed a slot) but never
            // acknowledged, so it is redelivered too, as RabbitMQ would.
            #expect(rest.map(\.redelivered) == [true, true, false])
        }
    }

    @Test func cancellingTheIteratingTaskRequeuesToo() async throws {
        try await withEmbeddedBroker { broker in
            let queue = topology.jobsQueue(for: .push)
            try await broker.publish([.job(.push, body: bytes("only"))])
            let consumer = try await broker.consume(queue: queue, prefetch: 1)
            let iteration = Task {
                var received = 0
                for try await _ in consumer { received += 1 }
                return received
            }
            // Let it receive the message and wait for another, then cancel the task.
            try await Task.sleep(for: .milliseconds(100))
            iteration.cancel()
            #expect(try await iteration.value == 1)

            let again = try await broker.consume(queue: queue, prefetch: 1)
            let redelivered = try await take(1, from: again)
            #expect(redelivered.first?.redelivered == true)
        }
    }

    @Test func nackRequeuesOrDeadLetters() async throws {
        try await withEmbeddedBroker { broker in
            let queue = topology.jobsQueue(for: .webhook)
            try await broker.publish([.job(.webhook, body: bytes("retry me")), .job(.webhook, body: bytes("poison"))])
            let consumer = try await broker.consume(queue: queue, prefetch: 1)
            let first = try await take(1, from: consumer)[0]
            try await consumer.nack(first, requeue: true)
            let again = try await take(1, from: consumer)[0]
            #expect(text(again.body) == "retry me")
            #expect(again.redelivered)
            try await consumer.ack(again)

            let poison = try await take(1, from: consumer)[0]
            try await consumer.nack(poison, requeue: false)
            let failed = try await broker.consume(queue: topology.failedQueue, prefetch: 1)
            let letter = try await take(1, from: failed)[0]
            #expect(text(letter.body) == "poison")
            #expect(letter.headers["x-first-death-reason"] == "rejected")
            #expect(letter.headers["x-first-death-queue"] == queue)
        }
    }

    @Test func deadLetterAddsReasonHeaders() async throws {
        try await withEmbeddedBroker { broker in
            try await broker.publish([.job(.email, body: bytes("x"), messageID: "id-1")])
            let jobs = try await broker.consume(queue: topology.jobsQueue(for: .email), prefetch: 1)
            let job = try await take(1, from: jobs)[0]
            try await broker.deadLetter(
                job, from: jobs, reason: DeadLetterReason(reason: "PermanentFailure", message: "550 no such user", attempts: 1))
            #expect(await broker.readyCount(queue: topology.jobsQueue(for: .email)) == 0)

            let failed = try await broker.consume(queue: topology.failedQueue, prefetch: 1)
            let letter = try await take(1, from: failed)[0]
            #expect(letter.headers[DeadLetterHeader.reason] == "PermanentFailure")
            #expect(letter.headers[DeadLetterHeader.message] == "550 no such user")
            #expect(letter.headers[DeadLetterHeader.attempts] == "1")
            #expect(letter.headers[DeadLetterHeader.originalRoutingKey] == "email")
            #expect(letter.messageID == "id-1")
            #expect(await nothingArrives(on: jobs))
        }
    }

    @Test func delayTiersReturnJobsToTheirQueueInTierOrder() async throws {
        // Wide margins: on a loaded 2-core CI machine, publishes can be a few hundred ms apart.
        try await withEmbeddedBroker(tierDelay: .milliseconds(400)) { broker in
            let webhook = try await broker.consume(queue: topology.jobsQueue(for: .webhook), prefetch: 10)
            let slack = try await broker.consume(queue: topology.jobsQueue(for: .slack), prefetch: 10)
            let started = ContinuousClock.now
            // 5s tier = 2 s here, 1s tier = 400 ms.
            try await broker.publish([.job(.webhook, body: bytes("slow"))], delay: .fiveSeconds)
            try await broker.publish([.job(.webhook, body: bytes("fast"), priority: 6)], delay: .oneSecond)
            try await broker.publish([.job(.slack, body: bytes("chat"))], delay: .oneSecond)

            let arrivals = try await take(2, from: webhook)
            #expect(arrivals.map { text($0.body) } == ["fast", "slow"])
            #expect(ContinuousClock.now - started >= .milliseconds(2000))
            #expect(arrivals[0].priority == 6)
            #expect(arrivals[0].queue == topology.jobsQueue(for: .webhook))
            #expect(arrivals.allSatisfy { $0.headers["x-first-death-reason"] == "expired" })
            #expect(try await take(1, from: slack).map { text($0.body) } == ["chat"])
            #expect(await nothingArrives(on: webhook))
        }
    }

    @Test func delaysWaitForTheirTier() async throws {
        try await withEmbeddedBroker(tierDelay: .milliseconds(300)) { broker in
            let consumer = try await broker.consume(queue: topology.jobsQueue(for: .log), prefetch: 1)
            let started = ContinuousClock.now
            try await broker.publish([.job(.log, body: [])], delay: .oneSecond)
            #expect(await broker.readyCount(queue: topology.retryQueue(for: .oneSecond)) == 1)
            _ = try await take(1, from: consumer, within: .seconds(2))
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(await broker.readyCount(queue: topology.retryQueue(for: .oneSecond)) == 0)
        }
    }

    @Test func reportsUnroutableAndUnknownTargets() async throws {
        try await withEmbeddedBroker { broker in
            await #expect {
                try await broker.publish([
                    .job(.email, body: []),
                    OutgoingMessage(exchange: "herald.jobs", routingKey: "fax", body: []),
                    OutgoingMessage(exchange: "nowhere", routingKey: "x", body: []),
                ])
            } throws: { error in
                guard case .publishFailed(let failures) = error as? BrokerError else { return false }
                return failures.map(\.index) == [1, 2] && failures[1].reason == .exchangeNotFound
            }
            #expect(await broker.readyCount(queue: topology.jobsQueue(for: .email)) == 1)
            await #expect(throws: BrokerError.queueNotFound("herald.nope")) {
                _ = try await broker.consume(queue: "herald.nope", prefetch: 1)
            }
        }
    }

    @Test func acknowledgingAnUnknownTagFails() async throws {
        try await withEmbeddedBroker { broker in
            try await broker.publish([.job(.log, body: [])])
            let consumer = try await broker.consume(queue: topology.jobsQueue(for: .log), prefetch: 1)
            let delivery = try await take(1, from: consumer)[0]
            try await consumer.ack(delivery)
            await #expect(throws: BrokerError.unknownDeliveryTag(delivery.deliveryTag)) {
                try await consumer.ack(delivery)
            }
        }
    }

    @Test func declaringIsIdempotentButRejectsConflicts() async throws {
        let broker = EmbeddedBroker()
        try await broker.declareTopology()
        try await broker.declareTopology()

        let core = EmbeddedCore(logger: Logger(label: "test"))
        try await core.declare(TopologyPlan(.standard))
        await #expect {
            try await core.declare(TopologyPlan(Topology(maxPriority: 5)))
        } throws: { error in
            guard case .topologyConflict = error as? BrokerError else { return false }
            return true
        }
    }

    @Test func shutdownEndsIterationAndRefusesWork() async throws {
        let broker = EmbeddedBroker()
        try await broker.declareTopology()
        let consumer = try await broker.consume(queue: topology.resultsQueue, prefetch: 1)
        let run = Task { try await broker.run() }
        let iteration = Task {
            var count = 0
            for try await _ in consumer { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        run.cancel()
        try await run.value
        #expect(try await iteration.value == 0)
        await #expect(throws: BrokerError.shutdown) {
            try await broker.publish([.toQueue(topology.resultsQueue, body: [])])
        }
    }
}
