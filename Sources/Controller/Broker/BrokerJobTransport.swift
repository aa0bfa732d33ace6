import Broker
import Foundation
import HeraldAPI

/// The controller's `JobPublisher` and `ResultSource` over a `MessageBroker` (RabbitMQ or the
/// embedded broker): jobs go to `herald.jobs` with the channel's job type as routing key (or
/// through a `herald.retry.<tier>` queue), dead letters to `herald.failed` with headers saying
/// why, results come from `herald.results`.
public struct BrokerJobTransport: JobPublisher, ResultSource {
    let broker: any MessageBroker

    public init(broker: any MessageBroker) {
        self.broker = broker
    }

    /// The broker's delay tiers, for `Controller.Configuration.tiers`.
    public static var tierPlanner: DelayTierPlanner {
        DelayTierPlanner(tiers: DelayTier.allCases.map { Double($0.milliseconds) / 1000 })
    }

    /// RabbitMQ priority for a notification priority (job queues honour 0–9).
    static func priority(_ p: DeliveryPriority) -> UInt8 {
        switch p {
        case .low: return 1
        case .normal: return 5
        case .high: return 9
        }
    }

    func message(_ job: DeliveryJob) -> OutgoingMessage {
        let type = JobType(rawValue: TemplateContent.routingKey(forChannelType: job.channel.type)) ?? .log
        return OutgoingMessage.job(
            type, body: job.encoded(), topology: broker.topology, priority: Self.priority(job.priority),
            messageID: "\(job.deliveryUID).\(job.attempt)", correlationID: job.correlationID)
    }

    public func publish(_ jobs: [DeliveryJob], delaySeconds: Double?) async throws {
        let messages = jobs.map(message)
        guard let delaySeconds else { return try await broker.publish(messages) }
        guard let tier = DelayTier.allCases.first(where: { abs(Double($0.milliseconds) / 1000 - delaySeconds) < 0.001 }) else {
            throw BrokerError.invalidArgument(
                "no delay tier of \(delaySeconds)s (tiers: \(DelayTier.allCases.map(\.rawValue).joined(separator: ", "))); the controller's tier planner and the broker disagree"
            )
        }
        try await broker.publish(messages, delay: tier)
    }

    public func deadLetter(_ letters: [DeadLetter]) async throws {
        // Each letter has its own reason headers.
        for letter in letters {
            try await broker.deadLetter(
                [message(letter.job)],
                reason: DeadLetterReason(reason: letter.reason, message: letter.message, attempts: letter.attempts))
        }
    }

    public func subscribe(prefetch: Int) async throws -> any ResultSubscription {
        let consumer = try await broker.consume(
            queue: broker.topology.resultsQueue, prefetch: UInt16(clamping: max(1, prefetch)))
        return Subscription(consumer: consumer)
    }

    struct Subscription: ResultSubscription {
        let consumer: BrokerConsumer

        func next() async throws -> ReceivedResult? {
            guard let d = try await consumer.next() else { return nil }
            return ReceivedResult(body: d.body, redelivered: d.redelivered, token: d)
        }

        func acknowledge(through result: ReceivedResult) async throws {
            guard let d = result.token as? Broker.Delivery else { return }
            try await consumer.ack(d, multiple: true)
        }

        func reject(_ result: ReceivedResult) async throws {
            guard let d = result.token as? Broker.Delivery else { return }
            // The results queue dead-letters rejected messages into herald.failed.
            try await consumer.nack(d, requeue: false)
        }

        func cancel() async {
            await consumer.cancel()
        }
    }
}
