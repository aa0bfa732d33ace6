import Broker
import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Synchronization
import Workers

/// The worker role: consumes `herald.jobs.<type>` queues with manual acks and a prefetch, runs
/// each job through the `JobProcessor` (at most `concurrency` at a time, whether a message carries
/// one job or a pack of them, `JobMessage`), reports one result per attempt to `herald.results`,
/// then acks the message once all its jobs are reported (acks coalesced too, `AckCoalescer`).
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
                // One ack for many jobs; a quarter of the prefetch may wait behind a slow job.
                let acks = AckCoalescer(consumer: consumer, maxHeldBack: max(1, concurrency / 4), logger: logger)
                // Ends once finished and drained; acks of a subscription that is gone are dropped.
                Task { await acks.run() }
                defer { acks.finish() }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Counts jobs, not messages: a message may carry a pack of them.
                    var inFlight = 0
                    while let delivery = try await consumer.next() {
                        acks.received(delivery)
                        let jobs = try await self.jobs(in: delivery)
                        let pack = PackProgress(jobs: jobs.count)
                        if jobs.isEmpty { acks.completed(delivery) }
                        for job in jobs {
                            if inFlight >= concurrency {
                                try await group.next()
                                inFlight -= 1
                            }
                            group.addTask {
                                try await self.handle(job, from: delivery, results)
                                if pack.finishedOne() { acks.completed(delivery) }
                            }
                            inFlight += 1
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
        let elements: [(json: JSON, value: Result<DeliveryJob, JobDecodingError>)]
        do {
            elements = try JobMessage.decode(delivery.body)
        } catch {
            logger.error("unreadable job dead-lettered", metadata: ["queue": .string(delivery.queue), "error": "\(error)"])
            try await broker.deadLetter(delivery, reason: DeadLetterReason(reason: "Undecodable", message: "\(error)"))
            return []
        }
        var jobs: [DeliveryJob] = []
        jobs.reserveCapacity(elements.count)
        for element in elements {
            switch element.value {
            case .success(let job):
                jobs.append(job)
            case .failure(let error):
                logger.error("unreadable job dead-lettered", metadata: ["queue": .string(delivery.queue), "error": "\(error)"])
                var alone = OutgoingMessage(republishing: delivery)
                alone.body = element.json.serialized()
                alone.headers[DeadLetterHeader.originalQueue] = delivery.queue
                try await broker.deadLetter(alone, reason: DeadLetterReason(reason: "Undecodable", message: "\(error)"))
            }
        }
        return jobs
    }

    private func handle(_ job: DeliveryJob, from delivery: Broker.Delivery, _ results: GroupCommit<ResultPacker.Entry, Void>)
        async throws
    {
        if DelayedJob.cameThroughDelayTier(headers: delivery.headers), await !delayedJobs.isStillWanted(job) {
            // Canceled or superseded while it waited: nothing to send and no result to report
            // (the controller ignores results for attempts that are not current). Returning
            // acknowledges it with the others (the ack window).
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

/// The jobs of one message still running; the message is acknowledged when the last is done.
final class PackProgress: Sendable {
    private let remaining: Mutex<Int>

    init(jobs: Int) {
        remaining = Mutex(jobs)
    }

    /// True for the job that finished last.
    func finishedOne() -> Bool {
        remaining.withLock { n in
            n -= 1
            return n == 0
        }
    }
}
