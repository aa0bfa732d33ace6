import Foundation
import HeraldAPI
import Logging

/// Executes one `DeliveryJob` and says how it went: render, check the Channel's circuit
/// breaker, wait for its rate limit, call the driver, classify. It never throws and never
/// decides retries; every outcome, including bugs in the job itself, becomes a
/// `DeliveryResult` for the controller. It knows nothing of the broker, so the same processor
/// serves RabbitMQ, the embedded broker and tests.
public final class JobProcessor: Sendable {
    public struct Configuration: Sendable {
        /// The longest a job waits inside the worker for its Channel's rate limit; beyond that it
        /// goes back to the controller as transient `RateLimited` with a retryAfter.
        public var maxRateLimitWait: Double
        /// This worker's share of each Channel's rate limit (1/N with N workers; see docs/workers.md).
        public var rateLimitShare: Double
        /// Per-attempt timeout when the Channel sets none.
        public var defaultTimeout: Double
        /// A half-open probe that never reports stops blocking after this long.
        public var probeTimeout: Double

        public init(maxRateLimitWait: Double = 5, rateLimitShare: Double = 1, defaultTimeout: Double = 10, probeTimeout: Double = 30) {
            self.maxRateLimitWait = maxRateLimitWait
            self.rateLimitShare = rateLimitShare
            self.defaultTimeout = defaultTimeout
            self.probeTimeout = probeTimeout
        }
    }

    private let drivers: [String: any ChannelDriver]
    private let secrets: any SecretResolver
    private let renderer: TemplateRenderer
    private let clock: any WorkerClock
    private let metrics: WorkerMetrics
    private let logger: Logger
    private let configuration: Configuration
    private let guards: ChannelGuards

    public init(
        drivers: [any ChannelDriver], secrets: any SecretResolver, renderer: TemplateRenderer = .shared,
        clock: any WorkerClock = SystemWorkerClock(), metrics: WorkerMetrics = WorkerMetrics(),
        logger: Logger = Logger(label: "herald.workers"), configuration: Configuration = Configuration()
    ) {
        var map: [String: any ChannelDriver] = [:]
        for d in drivers { map[d.channelType] = d }
        self.drivers = map
        self.secrets = secrets
        self.renderer = renderer
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.configuration = configuration
        guards = ChannelGuards(rateShare: configuration.rateLimitShare, probeTimeout: configuration.probeTimeout)
    }

    /// This worker's breaker state for a Channel (closed when it has not sent through it).
    public func circuitState(namespace: String, channel: String) -> CircuitState {
        guards.state(namespace: namespace, channel: channel)
    }

    public func process(_ job: DeliveryJob) async -> DeliveryResult {
        var attempt = Attempt(job: job, startedAt: clock.date(), t0: clock.now())
        // A result that ends before the breaker is consulted (a template problem, a passed
        // deadline) still reports the breaker as it is, so the Channel's CircuitOpen condition
        // does not flap to closed on such results.
        attempt.circuit = guards.state(namespace: job.namespace, channel: job.channel.name)
        let result = await run(job, &attempt)
        metrics.delivery(channelType: job.channel.type, outcome: result.outcome, seconds: result.timings.totalSeconds)
        switch result.outcome {
        case .delivered:
            if logger.logLevel <= .debug {
                logger.forJob(job).debug("delivered", metadata: ["providerMessageID": .string(result.providerMessageID ?? "")])
            }
        case .transient:
            logger.forJob(job).notice(
                "attempt failed, retryable", metadata: ["code": .string(result.code), "reason": .string(result.message)])
        case .permanent:
            logger.forJob(job).warning(
                "attempt failed for good", metadata: ["code": .string(result.code), "reason": .string(result.message)])
        }
        return result
    }

    /// Timing and outcome bookkeeping for one attempt.
    private struct Attempt {
        let job: DeliveryJob
        let startedAt: Date
        let t0: Double
        var renderSeconds = 0.0
        var waitSeconds = 0.0
        var sendSeconds = 0.0
        var digest: String?
        var circuit: CircuitState = .closed
    }

    private func run(_ job: DeliveryJob, _ a: inout Attempt) async -> DeliveryResult {
        guard let driver = drivers[job.channel.type] else {
            return finish(
                &a,
                .permanent(
                    "UnsupportedChannelType",
                    "this worker has no driver for channel type \"\(job.channel.type)\"; upgrade the workers or fix the Channel's spec.type"
                ))
        }
        var timeout = job.channel.spec["timeout"]?.stringValue.flatMap(HeraldAPI.Duration.parse) ?? configuration.defaultTimeout
        if let deadline = job.deadline {
            let left = deadline.timeIntervalSince(clock.date())
            if left <= 0 {
                return finish(
                    &a,
                    .permanent(
                        "DeadlineExceeded",
                        "the notification's deliverBy (\(Timestamp.format(deadline))) passed before this attempt; nothing was sent"))
            }
            timeout = min(timeout, left)
        }

        // Render first: a template problem is permanent and must not touch breaker or bucket.
        let message: RenderedMessage
        let r0 = clock.now()
        do {
            let variables = RecipientVariables.merged(
                job.variables, name: job.recipient.name, address: job.recipient.address, locale: job.recipient.locale,
                timezone: job.recipient.timezone)
            message = try renderer.render(job.template, channelType: job.channel.type, variables: variables, locale: job.recipient.locale)
        } catch {
            a.renderSeconds = clock.now() - r0
            return finish(&a, .permanent(error.code, error.description))
        }
        a.renderSeconds = clock.now() - r0
        a.digest = message.digest

        let (decision, state) = guards.decide(job, now: clock.now())
        a.circuit = state
        if case .reject(let retryAfter) = decision {
            return finish(
                &a,
                .transient(
                    "CircuitOpen",
                    "the circuit breaker of Channel \(job.namespace)/\(job.channel.name) is open after repeated provider failures; nothing was sent, retry in \(Int(retryAfter.rounded(.up)))s",
                    retryAfter: retryAfter, providerFailure: false))
        }
        let isProbe = decision == .probe
        if isProbe { metrics.circuit(namespace: job.namespace, channel: job.channel.name, state: .halfOpen) }

        switch guards.reserve(job, now: clock.now(), maxWait: min(configuration.maxRateLimitWait, timeout)) {
        case .denied(let retryAfter):
            if isProbe { guards.abandonProbe(job) }
            metrics.rateLimited(channelType: job.channel.type, action: "deferred")
            return finish(
                &a,
                .transient(
                    "RateLimited",
                    "Channel \(job.namespace)/\(job.channel.name) is at its rate limit; nothing was sent, retry in \(String(format: "%.1f", retryAfter))s",
                    retryAfter: retryAfter, providerFailure: false))
        case .granted(let wait):
            if wait > 0 {
                metrics.rateLimited(channelType: job.channel.type, action: "waited")
                let w0 = clock.now()
                do { try await clock.sleep(seconds: wait) } catch {
                    if isProbe { guards.abandonProbe(job) }
                    return finish(&a, .transient("Canceled", "the worker is shutting down; nothing was sent", providerFailure: false))
                }
                a.waitSeconds = clock.now() - w0
            }
        }

        let context = DeliveryContext(
            job: job, timeout: max(0.001, timeout - a.waitSeconds), logger: logger, secrets: secrets, clock: clock)
        let s0 = clock.now()
        let outcome: Result<SendReceipt, DeliveryError>
        do {
            outcome = .success(try await driver.send(message, context: context))
        } catch {
            outcome = .failure(error)
        }
        a.sendSeconds = clock.now() - s0

        let signal: Bool?
        switch outcome {
        case .success: signal = true
        case .failure(let e):
            switch e.breakerSignal {
            case .providerFailed: signal = false
            case .providerAnswered: signal = true
            case .neutral: signal = nil
            }
        }
        if let signal {
            let (after, changed) = guards.record(job, success: signal, probe: isProbe, now: clock.now())
            a.circuit = after
            if changed || isProbe {
                metrics.circuit(namespace: job.namespace, channel: job.channel.name, state: after)
                if changed {
                    logger.forJob(job).notice("circuit breaker changed state", metadata: ["circuit": .string(after.rawValue)])
                }
            }
        } else if isProbe {
            guards.abandonProbe(job)
        }

        switch outcome {
        case .success(let receipt):
            return finishDelivered(&a, receipt)
        case .failure(let e):
            return finish(&a, e)
        }
    }

    private func finish(_ a: inout Attempt, _ e: DeliveryError) -> DeliveryResult {
        DeliveryResult(
            deliveryUID: a.job.deliveryUID, attempt: a.job.attempt, outcome: e.outcome, code: e.code, message: e.message,
            retryAfter: e.retryAfter, renderedDigest: a.digest, timings: timings(a), staleAddress: e.staleAddress,
            circuit: a.circuit)
    }

    private func finishDelivered(_ a: inout Attempt, _ r: SendReceipt) -> DeliveryResult {
        DeliveryResult(
            deliveryUID: a.job.deliveryUID, attempt: a.job.attempt, outcome: .delivered, code: "Delivered", message: r.message,
            providerMessageID: r.providerMessageID, renderedDigest: a.digest, timings: timings(a), circuit: a.circuit)
    }

    private func timings(_ a: Attempt) -> DeliveryTimings {
        let elapsed = clock.now() - a.t0
        return DeliveryTimings(
            startedAt: a.startedAt, finishedAt: a.startedAt.addingTimeInterval(elapsed), renderSeconds: a.renderSeconds,
            waitSeconds: a.waitSeconds, sendSeconds: a.sendSeconds)
    }
}
