import Broker
import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Workers

/// The worker role: consumes `herald.jobs.<type>` queues with manual acks and a prefetch, runs
/// each job through the `JobProcessor` (at most `concurrency` at a time, whether a message carries
/// one job or a pack of them, `JobMessage`), reports one result per attempt to `herald.results`,
/// then acks the message once all its jobs are reported. A message's jobs hold their slots of
/// `concurrency` until that ack is written, which bounds what a killed worker sends twice.
/// Results that finish while a publish is in flight are packed into one message for the next
/// (`ResultPacker`, `GroupCommit`), so the broker handles a message per pack rather than per
/// delivery. A message is acked only after the messages carrying its results are confirmed, so a
/// crash in between redelivers it (at-least-once; the idempotency key makes the repeat visible to
/// the provider, and the controller ignores a result whose attempt is no longer current). Workers
/// never write the store and never decide retries.
struct JobWorker: Service {
    let broker: any MessageBroker
    let processor: JobProcessor
    let concurrency: Int
    let types: [JobType]
    /// Asked before sending a job that came out of a delay tier (see ``DelayedJobCheck``).
    let delayedJobs: any DelayedJobCheck
    let logger: Logger

    init(
        broker: any MessageBroker, processor: JobProcessor, concurrency: Int, types: [JobType] = JobType.allCases,
        delayedJobs: any DelayedJobCheck, logger: Logger
    ) {
        self.broker = broker
        self.processor = processor
        self.delayedJobs = delayedJobs
        self.concurrency = max(1, concurrency)
        self.types = types
        var log = logger
        log[metadataKey: "component"] = "worker"
        self.logger = log
    }

    func run() async throws {
        let packer = ResultPacker(queue: broker.topology.resultsQueue)
        let results = GroupCommit<ResultPacker.Entry, Void>(allOrNothing: { [broker] in try await broker.publish(packer.messages($0)) })
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for type in types {
                    group.addTask { await self.consume(type, results) }
                }
            }
        }
        logger.info("worker stopped")
    }

    private func consume(_ type: JobType, _ results: GroupCommit<ResultPacker.Entry, Void>) async {
        let queue = broker.topology.jobsQueue(for: type)
        var failures = 0
        while !Task.isCancelled {
            do {
                let consumer = try await broker.consume(queue: queue, prefetch: UInt16(clamping: concurrency))
                failures = 0
                try await withThrowingTaskGroup(of: Int.self) { group in
                    // Job slots, not messages: a message may carry a pack of jobs. A message's
                    // jobs keep their slots until its ack is written, so a worker that dies
                    // has sent at most `concurrency` jobs the broker will hand out again.
                    var slotsInUse = 0
                    // Messages are acked one by one, so a high-priority one may pass those held here.
                    while let delivery = try await consumer.next(byPriority: true) {
                        let jobs = try await self.jobs(in: delivery)
                        guard !jobs.isEmpty else {
                            await acknowledge(delivery, on: consumer)
                            continue
                        }
                        let slots = min(jobs.count, concurrency)
                        while slotsInUse + slots > concurrency, let freed = try await group.next() {
                            slotsInUse -= freed
                        }
                        slotsInUse += slots
                        group.addTask {
                            try await self.handle(jobs, from: delivery, width: slots, results)
                            await self.acknowledge(delivery, on: consumer)
                            return slots
                        }
                    }
                    try await group.waitForAll()
                }
                if Task.isCancelled { return }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("job consumer failed; resubscribing", metadata: ["queue": .string(queue), "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(failures, 6)))))
            }
        }
    }

    /// The jobs a message carries. Whatever cannot be read goes to the failed queue as it came
    /// (the whole message, or the one bad element of a pack) and is acknowledged with the rest.
    private func jobs(in delivery: Broker.Delivery) async throws -> [DeliveryJob] {
        func setAside(_ body: [UInt8]?, _ error: JobDecodingError) async throws {
            logger.error("unreadable job dead-lettered", metadata: ["queue": .string(delivery.queue), "error": "\(error)"])
            try await broker.deadLetter(delivery, body: body, reason: DeadLetterReason(reason: "Undecodable", message: "\(error)"))
        }
        let elements: [(json: JSON, value: Result<DeliveryJob, JobDecodingError>)]
        do {
            elements = try JobMessage.decode(delivery.body)
        } catch {
            try await setAside(nil, error)
            return []
        }
        var jobs: [DeliveryJob] = []
        jobs.reserveCapacity(elements.count)
        for element in elements {
            switch element.value {
            case .success(let job): jobs.append(job)
            case .failure(let error): try await setAside(element.json.serialized(), error)
            }
        }
        return jobs
    }

    /// Runs a message's jobs, at most `width` at a time.
    private func handle(
        _ jobs: [DeliveryJob], from delivery: Broker.Delivery, width: Int, _ results: GroupCommit<ResultPacker.Entry, Void>
    ) async throws {
        if jobs.count == 1 { return try await handle(jobs[0], from: delivery, results) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, job) in jobs.enumerated() {
                if i >= width { try await group.next() }
                group.addTask { try await self.handle(job, from: delivery, results) }
            }
            try await group.waitForAll()
        }
    }

    /// An ack that cannot be written is left to the server, which hands the message out again
    /// (at-least-once).
    private func acknowledge(_ delivery: Broker.Delivery, on consumer: BrokerConsumer) async {
        do {
            try await consumer.ack(delivery)
        } catch {
            logger.debug("job ack not sent", metadata: ["queue": .string(delivery.queue), "error": "\(error)"])
        }
    }

    private func handle(_ job: DeliveryJob, from delivery: Broker.Delivery, _ results: GroupCommit<ResultPacker.Entry, Void>)
        async throws
    {
        if DelayedJob.cameThroughDelayTier(headers: delivery.headers), await !delayedJobs.isStillWanted(job) {
            // Canceled or superseded while it waited: nothing to send and no result to report
            // (the controller ignores results for attempts that are not current). Returning
            // lets its message be acknowledged.
            logger.info(
                "dropped a delayed job its delivery no longer waits for",
                metadata: ["delivery": .string("\(job.namespace)/\(job.delivery)"), "attempt": "\(job.attempt)"])
            return
        }
        let result = await processor.process(job)
        // Encoded here, by the job's own task, so the flush only joins bytes.
        try await results.submit(
            ResultPacker.Entry(
                encoded: result.encoded(), messageID: "\(job.deliveryUID).\(job.attempt)", correlationID: job.correlationID))
    }
}
