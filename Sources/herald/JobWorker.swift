import Broker
import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Workers

/// The worker role: consumes `herald.jobs.<type>` queues with manual acks and a prefetch, runs
/// each job through the `JobProcessor`, reports one result per attempt to `herald.results`, then
/// acks the job (acks coalesced too, `AckCoalescer`). Results that finish while a publish is in
/// flight are packed into one message for the next (`ResultPacker`, `GroupCommit`), so the
/// broker handles a message per pack rather than per delivery. A job is acked only after the
/// message carrying its result is confirmed, so a crash in between redelivers it (at-least-once;
/// the idempotency key makes the repeat visible to the provider, and the controller ignores a
/// result whose attempt is no longer current). Workers never write the store and never decide
/// retries.
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
                    var inFlight = 0
                    while let delivery = try await consumer.next() {
                        if inFlight >= concurrency {
                            try await group.next()
                            inFlight -= 1
                        }
                        acks.received(delivery)
                        group.addTask {
                            try await self.handle(delivery, results)
                            acks.completed(delivery)
                        }
                        inFlight += 1
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

    private func handle(_ delivery: Broker.Delivery, _ results: GroupCommit<ResultPacker.Entry, Void>) async throws {
        let job: DeliveryJob
        do {
            job = try DeliveryJob.decode(delivery.body)
        } catch {
            logger.error("unreadable job dead-lettered", metadata: ["queue": .string(delivery.queue), "error": "\(error)"])
            // Acknowledged with the others (the ack window) once it is in the failed queue.
            try await broker.deadLetter(delivery, reason: DeadLetterReason(reason: "Undecodable", message: "\(error)"))
            return
        }
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
