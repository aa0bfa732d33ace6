import Foundation
import HeraldAPI
import Testing

@testable import Controller

@Suite struct DeliveryStateMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let machine = DeliveryStateMachine()
    let policy = RetryPolicy(maxAttempts: 3, initialBackoff: 2, maxBackoff: 60, multiplier: 2, jitter: .none)

    func ctx(_ now: Date, deadline: Date? = nil, suspended: Bool = false, random: Double = 0.5) -> DeliveryStateMachine.Context {
        .init(policy: policy, deadline: deadline, suspended: suspended, now: now, queuedTimeout: 60, random: FixedRandom(random))
    }

    func queued(attempt: Int, at: Date) -> DeliveryStatus {
        DeliveryStatus(phase: .queued, attempts: attempt, queuedTime: at)
    }

    @Test func pendingDueNowIsPublished() {
        let t = machine.handle(.tick, status: DeliveryStatus(), context: ctx(t0))
        #expect(t.status.phase == .queued)
        #expect(t.status.attempts == 1)
        #expect(t.status.queuedTime == t0)
        #expect(t.publishes.map(\.attempt) == [1])
        #expect(t.publishes.first?.tierSeconds == nil)
    }

    @Test func scheduledSendWaitsThenGoesThroughATier() {
        let scheduled = DeliveryStatus(phase: .pending, nextAttemptTime: t0.addingTimeInterval(7200))
        let early = machine.handle(.tick, status: scheduled, context: ctx(t0))
        #expect(early.status == scheduled)
        #expect(early.wakeAt == t0.addingTimeInterval(3600))
        let later = machine.handle(.tick, status: scheduled, context: ctx(t0.addingTimeInterval(3600)))
        #expect(later.publishes.first?.tierSeconds == 3600)
        #expect(later.status.phase == .pending)
        #expect(later.status.isDispatched)
    }

    @Test func suspendedPublishesNothing() {
        let t = machine.handle(.tick, status: DeliveryStatus(), context: ctx(t0, suspended: true))
        #expect(t.status == DeliveryStatus())
        #expect(t.publishes.isEmpty)
    }

    @Test func deliveredResultForTheCurrentAttempt() {
        let r = DeliveryStateMachine.Report(
            attempt: 1, outcome: .delivered, code: "Delivered", providerMessageID: "m-1", renderedDigest: "sha256:x",
            startedAt: t0.addingTimeInterval(1))
        let t = machine.handle(.result(r), status: queued(attempt: 1, at: t0), context: ctx(t0.addingTimeInterval(2)))
        #expect(t.status.phase == .delivered)
        #expect(t.status.providerMessageID == "m-1")
        #expect(t.status.lastAttemptTime == t0.addingTimeInterval(1))
        #expect(!t.status.isDispatched)
        #expect(t.actions.isEmpty)
    }

    @Test func resultsForOtherAttemptsAreIgnored() {
        let old = DeliveryStateMachine.Report(attempt: 1, outcome: .delivered)
        let t = machine.handle(.result(old), status: queued(attempt: 2, at: t0), context: ctx(t0))
        #expect(t.ignored != nil)
        #expect(t.status == queued(attempt: 2, at: t0))
        // A redelivered result of an attempt already recorded (Retrying, nothing in flight).
        let retrying = DeliveryStatus(phase: .retrying, attempts: 1, nextAttemptTime: t0.addingTimeInterval(30))
        let again = machine.handle(
            .result(DeliveryStateMachine.Report(attempt: 1, outcome: .transient)), status: retrying, context: ctx(t0))
        #expect(again.ignored != nil)
        #expect(again.status == retrying)
    }

    @Test func transientSchedulesARetryWithBackoff() {
        let r = DeliveryStateMachine.Report(attempt: 1, outcome: .transient, code: "HTTP503", message: "unavailable")
        let t = machine.handle(.result(r), status: queued(attempt: 1, at: t0), context: ctx(t0))
        #expect(t.status.phase == .retrying)
        #expect(t.status.attempts == 1)
        #expect(t.status.lastError == DeliveryFailure(errorClass: .transient, code: "HTTP503", message: "unavailable"))
        // 2 s backoff, no jitter: exactly a tier (1 s is the largest under 2 s: hold 1 s, then the 1 s tier).
        #expect(t.status.nextAttemptTime == t0.addingTimeInterval(2))
        #expect(t.wakeAt == t0.addingTimeInterval(1))
        #expect(t.publishes.isEmpty)
        // At the wake-up, attempt 2 goes into the 1 s tier and the phase stays Retrying.
        let next = machine.handle(.tick, status: t.status, context: ctx(t0.addingTimeInterval(1)))
        #expect(next.publishes.map(\.attempt) == [2])
        #expect(next.publishes.first?.tierSeconds == 1)
        #expect(next.status.phase == .retrying)
        #expect(next.status.attempts == 2)
    }

    @Test func retryAfterFloorsTheBackoff() {
        let r = DeliveryStateMachine.Report(attempt: 1, outcome: .transient, code: "HTTP429", retryAfter: 30)
        let t = machine.handle(.result(r), status: queued(attempt: 1, at: t0), context: ctx(t0))
        #expect(t.status.nextAttemptTime == t0.addingTimeInterval(30))
        #expect(t.publishes.first?.tierSeconds == 30)
    }

    @Test func permanentFailsAndDeadLetters() {
        let r = DeliveryStateMachine.Report(attempt: 1, outcome: .permanent, code: "HTTP400", message: "bad request")
        let t = machine.handle(.result(r), status: queued(attempt: 1, at: t0), context: ctx(t0))
        #expect(t.status.phase == .failed)
        #expect(t.status.reason == "PermanentFailure")
        #expect(t.actions.contains(.deadLetter(reason: "PermanentFailure", message: "HTTP400: bad request", attempts: 1)))
    }

    @Test func exhaustedAttemptsFailAndDeadLetter() {
        let r = DeliveryStateMachine.Report(attempt: 3, outcome: .transient, code: "HTTP503")
        let t = machine.handle(.result(r), status: queued(attempt: 3, at: t0), context: ctx(t0))
        #expect(t.status.phase == .failed)
        #expect(t.status.reason == "AttemptsExhausted")
        #expect(t.actions.contains { if case .deadLetter("AttemptsExhausted", _, 3) = $0 { return true } else { return false } })
    }

    /// An open circuit (or a rate limit) sent nothing: the delivery waits as long as the worker
    /// said and the attempt does not count against maxAttempts — delayed, not failed.
    @Test func heldBackAttemptsDelayWithoutExhaustingThePolicy() {
        var status = queued(attempt: 3, at: t0)
        status.heldBack = 2  // attempts 1 and 2 met an open circuit; attempt 3 is the first sent
        let open = DeliveryStateMachine.Report(attempt: 3, outcome: .transient, code: "CircuitOpen", retryAfter: 30)
        let t = machine.handle(.result(open), status: status, context: ctx(t0))
        #expect(t.status.phase == .retrying)
        #expect(t.status.heldBack == 3)
        // Attempt 4 is already waiting in the 30 s delay tier.
        #expect(t.status.attempts == 4)
        #expect(t.status.nextAttemptTime == t0.addingTimeInterval(30))

        // A provider failure still counts: with 1 provider attempt made the policy allows 2 more.
        var sent = queued(attempt: 4, at: t0)
        sent.heldBack = 3
        let failed = DeliveryStateMachine.Report(attempt: 4, outcome: .transient, code: "HTTP503")
        let retried = machine.handle(.result(failed), status: sent, context: ctx(t0))
        #expect(retried.status.phase == .retrying)
        #expect(retried.status.heldBack == 3)
        #expect(retried.status.nextAttemptTime == t0.addingTimeInterval(2))

        // The status round-trips through JSON with its held-back count.
        #expect(DeliveryStatus(json: retried.status.json) == retried.status)
    }

    @Test func deadlineExpiresWhatIsPending() {
        let deadline = t0.addingTimeInterval(10)
        let pending = DeliveryStatus(phase: .pending, nextAttemptTime: t0.addingTimeInterval(100))
        let before = machine.handle(.tick, status: pending, context: ctx(t0, deadline: deadline))
        #expect(before.wakeAt == deadline)
        let after = machine.handle(.tick, status: pending, context: ctx(deadline, deadline: deadline))
        #expect(after.status.phase == .expired)
        #expect(after.status.reason == "DeadlineExceeded")
    }

    @Test func retryPastTheDeadlineExpires() {
        let r = DeliveryStateMachine.Report(attempt: 1, outcome: .transient, code: "HTTP503", retryAfter: 60)
        let t = machine.handle(.result(r), status: queued(attempt: 1, at: t0), context: ctx(t0, deadline: t0.addingTimeInterval(30)))
        #expect(t.status.phase == .expired)
    }

    @Test func queuedTimeoutRepublishesTheSameAttempt() {
        let status = queued(attempt: 2, at: t0)
        let waiting = machine.handle(.tick, status: status, context: ctx(t0.addingTimeInterval(59)))
        #expect(waiting.publishes.isEmpty)
        #expect(waiting.wakeAt == t0.addingTimeInterval(60))
        let late = machine.handle(.tick, status: status, context: ctx(t0.addingTimeInterval(61)))
        #expect(late.publishes.map(\.attempt) == [2])
        #expect(late.status.queuedTime == t0.addingTimeInterval(61))
        #expect(late.status.attempts == 2)
    }

    @Test func cancelEndsAnythingInFlight() {
        let t = machine.handle(.canceled(reason: "NotificationDeleted", message: ""), status: queued(attempt: 1, at: t0), context: ctx(t0))
        #expect(t.status.phase == .canceled)
        #expect(!t.status.isDispatched)
        let done = DeliveryStatus(phase: .delivered, attempts: 1)
        #expect(machine.handle(.canceled(reason: "x", message: ""), status: done, context: ctx(t0)).status == done)
    }

    @Test func failedPublishIsTakenBack() {
        let t = machine.handle(.publishFailed(attempt: 1, error: "broker down"), status: queued(attempt: 1, at: t0), context: ctx(t0))
        #expect(t.status.phase == .pending)
        #expect(t.status.attempts == 0)
        #expect(!t.status.isDispatched)
        let retry = machine.handle(.tick, status: t.status, context: ctx(t0.addingTimeInterval(1)))
        #expect(retry.publishes.map(\.attempt) == [1])
    }

    @Test func statusRoundTripsThroughJSON() {
        let s = DeliveryStatus(
            phase: .retrying, attempts: 2, lastAttemptTime: t0, nextAttemptTime: t0.addingTimeInterval(1.5),
            lastError: DeliveryFailure(errorClass: .transient, code: "HTTP503", message: "x"), reason: nil)
        #expect(DeliveryStatus(json: s.json) == s)
    }

    /// Every modelled field written, plus fields a newer version wrote, which are kept; the
    /// object reads as one built member by member would.
    @Test func statusJSONKeepsUnmodelledFields() {
        var s = DeliveryStatus(
            phase: .failed, attempts: 3, lastAttemptTime: t0, nextAttemptTime: t0.addingTimeInterval(1), queuedTime: t0,
            lastError: DeliveryFailure(errorClass: .permanent, code: "HTTP400", message: "bad"), providerMessageID: "m-1",
            renderedDigest: "sha256:00", reason: "AttemptsExhausted")
        s.heldBack = 1
        s.failedTime = t0
        let written = s.json
        #expect(written.objectValue?.keys.map { $0 } == DeliveryStatus.modelled.sorted())
        #expect(DeliveryStatus(json: written) == s)
        var newer = written
        newer["conditions"] = [["type": "Future"]]
        newer["aaa"] = "first"
        let read = DeliveryStatus(json: newer)
        #expect(read.json == newer)
        var changed = read
        changed.phase = .delivered
        #expect(changed.json["conditions"] == [["type": "Future"]])
        #expect(changed.json["aaa"] == "first")
        #expect(changed.json["phase"] == "Delivered")
    }
}
