import Broker
import Foundation
import HeraldAPI

/// The controller's `JobPublisher` and `ResultSource` over a `MessageBroker` (RabbitMQ or the
/// embedded broker): jobs go to `herald.jobs` with the channel's job type as routing key (or
/// through a `herald.retry.<tier>` queue), dead letters to `herald.failed` with headers saying
/// why, results come from `herald.results`.
///
/// Jobs published together travel packed (`JobMessage`): those of one job type and priority share
/// a message, up to `maxJobsPerMessage`, so RabbitMQ stores, confirms, delivers and has
/// acknowledged one persistent message for several deliveries. The bound keeps a pack a small
/// unit of work: a worker takes the messages it holds by priority, so a high-priority job that
/// arrives later waits only for the jobs running and the one message in hand.
public struct BrokerJobTransport: JobPublisher, ResultSource {
    let broker: any MessageBroker
    let maxJobsPerMessage: Int
    let maxBytesPerMessage: Int

    public init(broker: any MessageBroker, maxJobsPerMessage: Int = 16, maxBytesPerMessage: Int = 256 * 1024) {
        self.broker = broker
        self.maxJobsPerMessage = max(1, maxJobsPerMessage)
        self.maxBytesPerMessage = max(1, maxBytesPerMessage)
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

    static func type(of job: DeliveryJob) -> JobType {
        JobType(rawValue: TemplateContent.routingKey(forChannelType: job.channel.type)) ?? .log
    }

    /// One job alone (a dead letter).
    func message(_ job: DeliveryJob) -> OutgoingMessage {
        OutgoingMessage.job(
            Self.type(of: job), body: job.encoded(), topology: broker.topology, priority: Self.priority(job.priority),
            messageID: "\(job.deliveryUID).\(job.attempt)", correlationID: job.correlationID)
    }

    /// The messages carrying `jobs`: packed by job type and priority, in the order each pair first
    /// appears; a pack keeps a correlation ID all its jobs share.
    func messages(_ jobs: [DeliveryJob]) -> [OutgoingMessage] {
        struct PackKey: Hashable {
            var type: JobType
            var priority: DeliveryPriority
        }
        var order: [PackKey] = []
        var groups: [PackKey: [Int]] = [:]
        for (i, job) in jobs.enumerated() {
            let key = PackKey(type: Self.type(of: job), priority: job.priority)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(i)
        }
        let encoded = jobs.map { $0.encoded() }
        var messages: [OutgoingMessage] = []
        for key in order {
            let members = groups[key] ?? []
            let packs = MessagePack.packs(
                sizes: members.map { encoded[$0].count }, maxCount: maxJobsPerMessage, maxBytes: maxBytesPerMessage)
            for pack in packs {
                let indices = members[pack]
                guard let first = indices.first.map({ jobs[$0] }) else { continue }
                messages.append(
                    OutgoingMessage.job(
                        key.type, body: JobMessage.body(indices.map { encoded[$0] }), topology: broker.topology,
                        priority: Self.priority(key.priority),
                        messageID: MessagePack.messageID(first: "\(first.deliveryUID).\(first.attempt)", count: indices.count),
                        correlationID: MessagePack.sharedCorrelationID(indices.map { jobs[$0].correlationID as String? })))
            }
        }
        return messages
    }

    public func publish(_ jobs: [DeliveryJob], delaySeconds: Double?) async throws {
        let messages = messages(jobs)
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
