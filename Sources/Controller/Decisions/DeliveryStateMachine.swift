import Foundation
import HeraldAPI

/// The life of one Delivery as a value-type state machine: given the current status, an event and
/// the context (policy, deadline, clock reading), it returns the next status and the actions to
/// carry out. It does no I/O, so every rule here is unit-tested with an injected time.
///
/// The caller writes the returned status first (inside the store's transaction, so it decides on
/// the latest state) and only then performs the actions: a job is published only after its
/// attempt is recorded, so a result can never arrive for an attempt the store does not know.
public struct DeliveryStateMachine: Sendable {
    public struct Context: Sendable {
        public var policy: RetryPolicy
        /// The Notification's `deliverBy`.
        public var deadline: Date?
        /// The Notification's `spec.suspend`: nothing new is published while it is set.
        public var suspended: Bool
        public var now: Date
        /// A job in the broker with no result after this long is published again (crash recovery).
        public var queuedTimeout: Double
        public var tiers: DelayTierPlanner
        /// Jitter's randomness.
        public var random: any RandomSource

        public init(
            policy: RetryPolicy = .default, deadline: Date? = nil, suspended: Bool = false, now: Date,
            queuedTimeout: Double = 300, tiers: DelayTierPlanner = DelayTierPlanner(),
            random: any RandomSource = SystemRandom()
        ) {
            self.random = random
            self.policy = policy
            self.deadline = deadline
            self.suspended = suspended
            self.now = now
            self.queuedTimeout = queuedTimeout
            self.tiers = tiers
        }
    }

    /// What a worker reported for one attempt (the parts of `DeliveryResult` that decide).
    public struct Report: Sendable, Hashable {
        public var attempt: Int
        public var outcome: DeliveryOutcome
        public var code: String
        public var message: String
        public var retryAfter: Double?
        public var providerMessageID: String?
        public var renderedDigest: String?
        public var startedAt: Date?

        public init(
            attempt: Int, outcome: DeliveryOutcome, code: String = "", message: String = "", retryAfter: Double? = nil,
            providerMessageID: String? = nil, renderedDigest: String? = nil, startedAt: Date? = nil
        ) {
            self.attempt = attempt
            self.outcome = outcome
            self.code = code
            self.message = message
            self.retryAfter = retryAfter
            self.providerMessageID = providerMessageID
            self.renderedDigest = renderedDigest
            self.startedAt = startedAt
        }

        public init(_ result: DeliveryResult) {
            self.init(
                attempt: result.attempt, outcome: result.outcome, code: result.code, message: result.message,
                retryAfter: result.retryAfter, providerMessageID: result.providerMessageID,
                renderedDigest: result.renderedDigest, startedAt: result.timings.startedAt)
        }
    }

    public enum Event: Sendable, Hashable {
        /// Time passed or the delivery was (re)examined: publish what is due, expire what missed
        /// `deliverBy`, publish again what was queued too long with no result.
        case tick
        /// A worker's result for one attempt.
        case result(Report)
        /// The Notification was deleted, or the pair left its spec.
        case canceled(reason: String, message: String)
        /// Publishing the job for `attempt` failed after the attempt was recorded: take the
        /// attempt back so the next tick publishes it again, soon, instead of after the queued
        /// timeout.
        case publishFailed(attempt: Int, error: String)
    }

    public enum Action: Sendable, Hashable {
        /// Publish the job for `attempt`, now (`tierSeconds` nil) or into that delay tier.
        case publish(attempt: Int, tierSeconds: Double?)
        /// Put the job on the dead-letter queue with headers saying why.
        case deadLetter(reason: String, message: String, attempts: Int)
        /// Examine the delivery again (`.tick`) at this instant.
        case wake(at: Date)
        /// Record an Event on the Delivery.
        case record(EventNote)
    }

    public struct Transition: Sendable, Hashable {
        public var status: DeliveryStatus
        public var actions: [Action]
        /// Why the event changed nothing, when it was ignored (for debug logs).
        public var ignored: String?

        public var wakeAt: Date? {
            actions.compactMap { if case .wake(let d) = $0 { return d } else { return nil } }.min()
        }

        public var publishes: [(attempt: Int, tierSeconds: Double?)] {
            actions.compactMap { if case .publish(let a, let t) = $0 { return (a, t) } else { return nil } }
        }
    }

    public init() {}

    public func handle(_ event: Event, status: DeliveryStatus, context: Context) -> Transition {
        if status.phase.isTerminal {
            return Transition(status: status, actions: [], ignored: "the delivery is \(status.phase.rawValue)")
        }
        switch event {
        case .tick:
            return tick(status, context)
        case .result(let report):
            return result(report, status, context)
        case .canceled(let reason, let message):
            var next = status
            next.phase = .canceled
            next.reason = reason
            next.queuedTime = nil
            next.nextAttemptTime = nil
            _ = message
            return Transition(status: next, actions: [])
        case .publishFailed(let attempt, let error):
            guard status.isDispatched, status.attempts == attempt else {
                return Transition(status: status, actions: [], ignored: "attempt \(attempt) is not the one in flight")
            }
            var next = status
            next.attempts = attempt - 1
            next.queuedTime = nil
            if next.phase == .queued { next.phase = next.attempts == 0 ? .pending : .retrying }
            let retryAt = context.now.addingTimeInterval(Self.publishRetryDelay)
            next.nextAttemptTime = max(retryAt, status.nextAttemptTime ?? retryAt)
            _ = error
            return Transition(status: next, actions: [.wake(at: next.nextAttemptTime ?? retryAt)])
        }
    }

    /// How soon a publish that failed is tried again.
    static let publishRetryDelay = 1.0

    // MARK: tick

    private func tick(_ status: DeliveryStatus, _ ctx: Context) -> Transition {
        if let deadline = ctx.deadline, ctx.now >= deadline {
            return expire(status, "the notification's deliverBy (\(Timestamp.format(deadline))) passed before it was delivered")
        }
        var next = status
        var actions: [Action] = []
        if status.isDispatched, let queued = status.queuedTime {
            let arrival = max(queued, status.nextAttemptTime ?? queued)
            let timeoutAt = arrival.addingTimeInterval(ctx.queuedTimeout)
            if ctx.now >= timeoutAt {
                // No result for a job long past due: the broker lost it or the controller crashed
                // between recording the attempt and publishing. Same attempt number: a worker that
                // did get the first copy produces a result that is still current, and the second
                // copy's result is then ignored.
                next.phase = .queued
                next.queuedTime = ctx.now
                next.nextAttemptTime = nil
                actions.append(.publish(attempt: status.attempts, tierSeconds: nil))
                actions.append(
                    .record(
                        .warning(
                            "Republished",
                            "no result for attempt \(status.attempts) after \(Int(ctx.queuedTimeout))s; published it again")))
                actions.append(.wake(at: ctx.now.addingTimeInterval(ctx.queuedTimeout)))
            } else {
                actions.append(.wake(at: timeoutAt))
            }
            return Transition(status: next, actions: withDeadline(actions, ctx))
        }
        if ctx.suspended {
            return Transition(status: status, actions: withDeadline([], ctx))
        }
        guard status.providerAttempts < ctx.policy.maxAttempts else {
            // Reached only when the policy shrank below the attempts already made.
            return fail(
                status, reason: "AttemptsExhausted",
                message: "\(status.providerAttempts) attempts made; the retry policy allows \(ctx.policy.maxAttempts)", ctx)
        }
        let due = status.nextAttemptTime ?? ctx.now
        switch ctx.tiers.plan(due: due, now: ctx.now) {
        case .publishNow:
            next.attempts = status.attempts + 1
            next.phase = .queued
            next.queuedTime = ctx.now
            next.nextAttemptTime = nil
            actions.append(.publish(attempt: next.attempts, tierSeconds: nil))
            actions.append(.wake(at: ctx.now.addingTimeInterval(ctx.queuedTimeout)))
        case .publishDelayed(let tier):
            // The phase stays Pending or Retrying while the job waits in the delay tier.
            next.attempts = status.attempts + 1
            next.queuedTime = ctx.now
            next.nextAttemptTime = ctx.now.addingTimeInterval(tier)
            actions.append(.publish(attempt: next.attempts, tierSeconds: tier))
            actions.append(.wake(at: ctx.now.addingTimeInterval(tier + ctx.queuedTimeout)))
        case .hold(let until):
            actions.append(.wake(at: until))
        }
        return Transition(status: next, actions: withDeadline(actions, ctx))
    }

    /// Adds a wake-up at the deadline, so a delivery that waits expires on time.
    private func withDeadline(_ actions: [Action], _ ctx: Context) -> [Action] {
        guard let deadline = ctx.deadline else { return actions }
        return actions + [.wake(at: deadline)]
    }

    // MARK: results

    /// Worker result codes for attempts that sent nothing (see `DeliveryStatus.heldBack`).
    static let heldBackCodes: Set<String> = ["CircuitOpen", "RateLimited", "Canceled"]

    private func result(_ r: Report, _ status: DeliveryStatus, _ ctx: Context) -> Transition {
        guard status.isDispatched, r.attempt == status.attempts else {
            let why =
                status.isDispatched
                ? "result for attempt \(r.attempt), the current attempt is \(status.attempts)"
                : "result for attempt \(r.attempt), which was already recorded"
            return Transition(status: status, actions: [], ignored: why)
        }
        var next = status
        next.queuedTime = nil
        next.nextAttemptTime = nil
        if let started = r.startedAt { next.lastAttemptTime = started }
        if let digest = r.renderedDigest { next.renderedDigest = digest }
        switch r.outcome {
        case .delivered:
            next.phase = .delivered
            next.reason = nil
            next.lastError = nil
            if let id = r.providerMessageID { next.providerMessageID = id }
            return Transition(status: next, actions: [])
        case .permanent:
            next.lastError = DeliveryFailure(errorClass: .permanent, code: r.code, message: r.message)
            if r.code == "DeadlineExceeded" {
                return expire(next, r.message)
            }
            return fail(next, reason: "PermanentFailure", message: Self.describe(r), ctx)
        case .transient:
            next.lastError = DeliveryFailure(errorClass: .transient, code: r.code, message: r.message)
            let heldBack = Self.heldBackCodes.contains(r.code)
            if heldBack { next.heldBack += 1 }
            guard heldBack || ctx.policy.allowsAttempt(after: status.providerAttempts) else {
                return fail(
                    next, reason: "AttemptsExhausted",
                    message: "\(status.providerAttempts) of \(ctx.policy.maxAttempts) attempts failed; last: \(Self.describe(r))", ctx)
            }
            // Nothing was sent: wait as long as the worker said (the breaker's open time, the
            // rate limit's refill), without growing the backoff.
            let delay =
                heldBack
                ? max(r.retryAfter ?? ctx.policy.initialBackoff, 0.001)
                : ctx.policy.delay(afterAttempt: status.providerAttempts, retryAfter: r.retryAfter, random: ctx.random)
            let nextAttempt = ctx.now.addingTimeInterval(delay)
            if let deadline = ctx.deadline, nextAttempt >= deadline {
                return expire(
                    next,
                    "attempt \(status.attempts) failed (\(Self.describe(r))) and the next one would be after deliverBy (\(Timestamp.format(deadline)))"
                )
            }
            next.phase = .retrying
            next.reason = nil
            next.nextAttemptTime = nextAttempt
            // Plan the next attempt at once: a delay that is exactly a tier is published now.
            let planned = tick(next, ctx)
            return Transition(status: planned.status, actions: planned.actions)
        }
    }

    private func fail(_ status: DeliveryStatus, reason: String, message: String, _ ctx: Context) -> Transition {
        var next = status
        next.phase = .failed
        next.failedTime = ctx.now
        next.reason = reason
        next.queuedTime = nil
        next.nextAttemptTime = nil
        return Transition(
            status: next,
            actions: [
                .deadLetter(reason: reason, message: message, attempts: status.attempts),
                .record(.warning(reason == "AttemptsExhausted" ? "AttemptsExhausted" : "DeliveryFailed", message)),
            ])
    }

    private func expire(_ status: DeliveryStatus, _ message: String) -> Transition {
        var next = status
        next.phase = .expired
        next.reason = "DeadlineExceeded"
        next.queuedTime = nil
        next.nextAttemptTime = nil
        return Transition(status: next, actions: [.record(.warning("DeadlineExceeded", message))])
    }

    static func describe(_ r: Report) -> String {
        if r.code.isEmpty { return r.message }
        if r.message.isEmpty { return r.code }
        return "\(r.code): \(r.message)"
    }
}
