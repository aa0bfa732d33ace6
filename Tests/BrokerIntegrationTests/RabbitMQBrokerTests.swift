import Broker
import Foundation
import Synchronization
import Testing

@Suite(
    "RabbitMQ broker against a real server",
    .serialized,
    .enabled(if: RabbitMQTestEnvironment.isAvailable, RabbitMQTestEnvironment.skipMessage),
    .timeLimit(.minutes(2))
)
struct RabbitMQBrokerTests {
    @Test func declaringTheTopologyTwiceIsIdempotent() async throws {
        let topology = uniqueTopology("declare")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            try await broker.declareTopology()
            // Every job type is routable, and lands in its own queue.
            try await broker.publish(JobType.allCases.map { .job($0, body: body($0.rawValue), topology: topology) })
            for type in JobType.allCases {
                let consumer = try await broker.consume(queue: topology.jobsQueue(for: type), prefetch: 1)
                let delivery = try await withTimeLimit(.seconds(10), "receiving a \(type) job") {
                    var iterator = consumer.makeAsyncIterator()
                    return try await iterator.next()
                }
                #expect(delivery.map { text($0.body) } == type.rawValue)
                if let delivery { try await consumer.ack(delivery) }
                await consumer.cancel()
            }
        }
    }

    @Test func declaringAConflictingTopologyFails() async throws {
        let topology = uniqueTopology("conflict")
        try await withRabbitMQBroker(topology: topology) { try await $0.declareTopology() }
        var other = topology
        other.maxPriority = 5
        try await withRabbitMQBroker(topology: other) { broker in
            await #expect {
                try await broker.declareTopology()
            } throws: { error in
                guard case .topologyConflict = error as? BrokerError else { return false }
                return true
            }
            // The broker stays usable after the failed declaration.
            try await broker.publish(.toQueue(topology.failedQueue, body: body("still works")))
        }
    }

    @Test func tenThousandPersistentMessagesAreConfirmedAndConsumed() async throws {
        let topology = uniqueTopology("bulk")
        let count = 10_000
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            let messages = (0..<count).map { index in
                OutgoingMessage.job(.log, body: body("message \(index)"), topology: topology, messageID: "\(index)")
            }
            try await broker.publish(messages)

            let consumer = try await broker.consume(queue: topology.jobsQueue(for: .log), prefetch: 500)
            let received = try await withTimeLimit(.seconds(60), "consuming \(count) messages") {
                var seen = Set<String>()
                var sinceAck = 0
                for try await delivery in consumer {
                    seen.insert(delivery.messageID ?? "")
                    sinceAck += 1
                    // One ack for every 100 deliveries (multiple), well under the prefetch.
                    if sinceAck == 100 || seen.count == count {
                        try await consumer.ack(delivery, multiple: true)
                        sinceAck = 0
                    }
                    if seen.count == count { break }
                }
                return seen
            }
            await consumer.cancel()
            #expect(received.count == count)
            #expect(received == Set((0..<count).map(String.init)))
        }
    }

    @Test func highPriorityMessagesOvertakeWaitingOnes() async throws {
        let topology = uniqueTopology("priority")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            let normal = (0..<5_000).map { index in
                OutgoingMessage.job(.push, body: body("n\(index)"), topology: topology, priority: 4)
            }
            let high = (0..<200).map { index in
                OutgoingMessage.job(.push, body: body("h\(index)"), topology: topology, priority: 9)
            }
            try await broker.publish(normal)
            try await broker.publish(high)

            let consumer = try await broker.consume(queue: topology.jobsQueue(for: .push), prefetch: 50)
            let firstPriorities = try await withTimeLimit(.seconds(60), "consuming 5,200 messages") {
                var priorities: [UInt8] = []
                for try await delivery in consumer {
                    priorities.append(delivery.priority)
                    try await consumer.ack(delivery)
                    if priorities.count == 5_200 { break }
                }
                return priorities
            }
            await consumer.cancel()
            let highAmongFirst200 = firstPriorities.prefix(200).filter { $0 == 9 }.count
            // The queue holds all 5,200 before the consumer starts, so the server orders them by
            // priority; only the first prefetch-sized burst could in principle be out of order.
            #expect(highAmongFirst200 >= 190, "only \(highAmongFirst200) of the first 200 were high priority")
            #expect(firstPriorities.count == 5_200)
        }
    }

    @Test func delayedJobReturnsToItsJobQueue() async throws {
        let topology = uniqueTopology("delay")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            let webhook = try await broker.consume(queue: topology.jobsQueue(for: .webhook), prefetch: 10)
            let email = try await broker.consume(queue: topology.jobsQueue(for: .email), prefetch: 10)
            let started = ContinuousClock.now
            try await broker.publish(
                .job(
                    .webhook, body: body("later"), topology: topology, priority: 7, headers: ["x-trace": "abc"],
                    messageID: "delayed-1", correlationID: "corr-1"),
                delay: .oneSecond)
            let delivery = try await withTimeLimit(.seconds(15), "receiving the delayed job") {
                var iterator = webhook.makeAsyncIterator()
                return try await iterator.next()
            }
            let elapsed = ContinuousClock.now - started
            let received = try #require(delivery)
            #expect(elapsed >= .milliseconds(900), "arrived after \(elapsed)")
            #expect(text(received.body) == "later")
            #expect(received.queue == topology.jobsQueue(for: .webhook))
            #expect(received.messageID == "delayed-1")
            #expect(received.correlationID == "corr-1")
            #expect(received.priority == 7)
            #expect(received.headers["x-trace"] == "abc")
            #expect(received.headers["x-first-death-reason"] == "expired")
            try await webhook.ack(received)

            // Exactly once: nothing went to another job queue, nothing arrived twice.
            let stray = try? await withTimeLimit(.seconds(2), "waiting for strays") {
                var iterator = email.makeAsyncIterator()
                return try await iterator.next()
            }
            #expect(stray == nil)
            let duplicate = try? await withTimeLimit(.seconds(1), "waiting for a duplicate") {
                var iterator = webhook.makeAsyncIterator()
                return try await iterator.next()
            }
            #expect(duplicate == nil)
            await webhook.cancel()
            await email.cancel()
        }
    }

    @Test func deadLettersCarryTheirReason() async throws {
        let topology = uniqueTopology("dead")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            try await broker.publish(.job(.sms, body: body("doomed"), topology: topology, messageID: "sms-1"))
            let jobs = try await broker.consume(queue: topology.jobsQueue(for: .sms), prefetch: 1)
            let job = try #require(
                try await withTimeLimit(.seconds(10), "receiving the job") {
                    var iterator = jobs.makeAsyncIterator()
                    return try await iterator.next()
                })
            try await broker.deadLetter(
                job, from: jobs,
                reason: DeadLetterReason(reason: "AttemptsExhausted", message: "provider said 500", attempts: 6))

            // A rejected (poison) job goes to the failed queue too, through the queue's dead-lettering.
            try await broker.publish(.job(.sms, body: body("poison"), topology: topology))
            let poison = try #require(
                try await withTimeLimit(.seconds(10), "receiving the poison job") {
                    var iterator = jobs.makeAsyncIterator()
                    return try await iterator.next()
                })
            try await jobs.nack(poison, requeue: false)
            await jobs.cancel()

            let failed = try await broker.consume(queue: topology.failedQueue, prefetch: 10)
            let letters = try await withTimeLimit(.seconds(10), "receiving dead letters") {
                var letters: [Delivery] = []
                for try await letter in failed {
                    letters.append(letter)
                    try await failed.ack(letter)
                    if letters.count == 2 { break }
                }
                return letters
            }
            await failed.cancel()
            let exhausted = try #require(letters.first { text($0.body) == "doomed" })
            #expect(exhausted.headers[DeadLetterHeader.reason] == "AttemptsExhausted")
            #expect(exhausted.headers[DeadLetterHeader.message] == "provider said 500")
            #expect(exhausted.headers[DeadLetterHeader.attempts] == "6")
            #expect(exhausted.headers[DeadLetterHeader.originalExchange] == topology.jobsExchange)
            #expect(exhausted.headers[DeadLetterHeader.originalRoutingKey] == "sms")
            #expect(exhausted.headers[DeadLetterHeader.deadLetteredAt] != nil)
            #expect(exhausted.messageID == "sms-1")
            #expect(exhausted.headers[DeadLetterHeader.originalQueue] == topology.jobsQueue(for: .sms))
            let rejected = try #require(letters.first { text($0.body) == "poison" })
            #expect(rejected.headers["x-first-death-reason"] == "rejected")
            #expect(rejected.headers["x-first-death-queue"] == topology.jobsQueue(for: .sms))
        }
    }

    @Test func unroutableAndMisaddressedMessagesAreReported() async throws {
        let topology = uniqueTopology("routing")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            let batch: [OutgoingMessage] = [
                .job(.email, body: body("ok"), topology: topology),
                OutgoingMessage(exchange: topology.jobsExchange, routingKey: "fax", body: body("no such type")),
                .job(.email, body: body("ok too"), topology: topology),
            ]
            await #expect {
                try await broker.publish(batch)
            } throws: { error in
                guard case .publishFailed(let failures) = error as? BrokerError else { return false }
                return failures.count == 1 && failures[0].index == 1
                    && { if case .unroutable = failures[0].reason { true } else { false } }()
            }

            await #expect {
                try await broker.publish(OutgoingMessage(exchange: "\(topology.prefix).nowhere", routingKey: "x", body: []))
            } throws: { error in
                guard case .publishFailed(let failures) = error as? BrokerError else { return false }
                return failures.first?.reason == .exchangeNotFound
            }

            // The publishing channel recovered.
            try await broker.publish(.job(.email, body: body("after"), topology: topology))
            await #expect(throws: BrokerError.queueNotFound("\(topology.prefix).missing")) {
                _ = try await broker.consume(queue: "\(topology.prefix).missing", prefetch: 1)
            }
        }
    }

    @Test func unacknowledgedDeliveriesAreRedeliveredAfterCancel() async throws {
        let topology = uniqueTopology("redeliver")
        try await withRabbitMQBroker(topology: topology) { broker in
            try await broker.declareTopology()
            try await broker.publish((0..<5).map { .job(.slack, body: body("\($0)"), topology: topology) })
            let first = try await broker.consume(queue: topology.jobsQueue(for: .slack), prefetch: 2)
            let held = try await withTimeLimit(.seconds(10), "receiving") {
                var iterator = first.makeAsyncIterator()
                return [try await iterator.next(), try await iterator.next()].compactMap { $0 }
            }
            #expect(held.count == 2)
            await first.cancel()

            let second = try await broker.consume(queue: topology.jobsQueue(for: .slack), prefetch: 10)
            let all = try await withTimeLimit(.seconds(10), "receiving again") {
                var deliveries: [Delivery] = []
                for try await delivery in second {
                    deliveries.append(delivery)
                    try await second.ack(delivery)
                    if deliveries.count == 5 { break }
                }
                return deliveries
            }
            await second.cancel()
            #expect(Set(all.map { text($0.body) }) == Set((0..<5).map(String.init)))
            #expect(all.filter(\.redelivered).count == 2)
        }
    }

    @Test func idleConnectionsStayUpThroughHeartbeats() async throws {
        let topology = uniqueTopology("idle")
        let warnings = WarningCollector()
        try await withRabbitMQBroker(topology: topology, logger: warnings.logger("test.idle")) {
            $0.heartbeat = .seconds(2)
        } _: { broker in
            try await broker.declareTopology()
            let consumer = try await broker.consume(queue: topology.resultsQueue, prefetch: 1)
            // Several heartbeat intervals without traffic: the server closes a connection that
            // sends no heartbeats, and the broker would log a reconnect.
            try await Task.sleep(for: .seconds(9))
            try await broker.publish(.toQueue(topology.resultsQueue, body: body("still here")))
            let delivery = try await withTimeLimit(.seconds(5), "receiving after idling") {
                var iterator = consumer.makeAsyncIterator()
                return try await iterator.next()
            }
            #expect(delivery.map { text($0.body) } == "still here")
            await consumer.cancel()
        }
        #expect(warnings.collected.isEmpty, "\(warnings.collected)")
    }
}
