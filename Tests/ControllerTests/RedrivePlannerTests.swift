import Foundation
import HeraldAPI
import Testing

@testable import Controller

/// Redrive decisions, without I/O: which requests create a replacement, which only mark, which
/// are refused, and what counts for the Notification's status afterwards.
@Suite struct RedrivePlannerTests {
    let t0 = Timestamp.parse("2026-11-21T10:00:00Z") ?? Date()
    let planner = NotificationPlanner()
    let channel: Resource = {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Channel", namespace: "default", name: "log")
        r.spec = ["type": "log"]
        return r
    }()

    func notification(to emails: [String] = ["a@x.io", "b@x.io"], annotations: [String: String] = [:]) -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: "default", name: "n")
        r.uid = "uid-n"
        r.generation = 1
        r.annotations = annotations
        r.spec = [
            "message": ["subject": "Hi", "text": "Hello"], "channels": ["log"],
            "to": .array(emails.map { ["address": ["email": .string($0)]] }),
        ]
        return r
    }

    func plan(_ n: Resource, _ deliveries: [Resource]) -> NotificationPlan {
        planner.plan(
            .init(notification: n, template: nil, channels: ["log": channel], recipients: [], deliveries: deliveries, now: t0))
    }

    /// The notification's deliveries as first created, then given `phases` in order.
    func deliveries(_ n: Resource, _ phases: [DeliveryPhase]) -> [Resource] {
        zip(plan(n, []).creates, phases).map { planned, phase in
            var r = planned.resource(owner: n)
            r.uid = "uid-" + planned.name
            r.status = DeliveryStatus(phase: phase, attempts: 1).json
            return r
        }
    }

    func requested(_ d: Resource, at: String = "2026-11-21T10:05:00.000Z", by: String = "alice@host") -> Resource {
        var r = d
        r.annotations[DeliveryRedrive.requestedAtAnnotation] = at
        r.annotations[DeliveryRedrive.requestedByAnnotation] = by
        return r
    }

    @Test func aFailedDeliveryWithARequestGetsAReplacementForItsPairOnly() throws {
        let n = notification()
        var ds = deliveries(n, [.failed, .delivered])
        ds[0] = requested(ds[0])
        let p = plan(n, ds)
        #expect(p.creates.count == 1)
        let created = try #require(p.creates.first)
        #expect(created.name == ds[0].name + "-r1")
        #expect(created.spec["redriveOf"] == .string(ds[0].name))
        #expect(created.spec["recipient"] == ds[0].spec?["recipient"])
        #expect(created.spec["round"] == 0)
        #expect(created.status.phase == .pending)
        #expect(p.cancels.isEmpty)
        #expect(
            p.redrives == [
                .redrive(
                    RedriveStep(
                        delivery: ds[0].name, requestedAt: "2026-11-21T10:05:00.000Z", requestedBy: "alice@host",
                        outcome: .redriven(replacement: created.name)))
            ])
        #expect(
            p.redrives.first?.step.note
                == .normal("Redriven", "redriven by alice@host: delivery \(ds[0].name) is replaced by \(created.name)"))
        #expect(Validation.dns1123SubdomainProblem(created.name) == nil)
    }

    @Test func aHandledRequestIsNotCarriedOutAgain() {
        let n = notification()
        var ds = deliveries(n, [.failed, .delivered])
        ds[0] = requested(ds[0])
        ds[0].annotations[DeliveryRedrive.handledAnnotation] = "2026-11-21T10:05:00.000Z"
        let p = plan(n, ds)
        #expect(p.creates.isEmpty)
        #expect(p.redrives.isEmpty)
    }

    @Test func onlyFailedDeliveriesAreRedriven() {
        let n = notification()
        var ds = deliveries(n, [.delivered, .retrying])
        ds[0] = requested(ds[0])
        ds[1] = requested(ds[1])
        let p = plan(n, ds)
        #expect(p.creates.isEmpty)
        let refusals = p.redrives.compactMap { d -> String? in
            if case .refuse(let s) = d, case .refused(let why) = s.outcome { return why }
            return nil
        }
        #expect(
            refusals == [
                "it is Delivered; only Failed deliveries can be redriven", "it is Retrying; only Failed deliveries can be redriven",
            ])
    }

    @Test func aReplacementCreatedBeforeACrashIsOnlyMarked() {
        let n = notification(to: ["a@x.io"])
        var ds = deliveries(n, [.failed])
        ds[0] = requested(ds[0])
        var replacement = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: ds[0].name + "-r1")
        replacement.spec = ds[0].spec
        replacement.spec?["redriveOf"] = .string(ds[0].name)
        replacement.status = DeliveryStatus(phase: .queued, attempts: 1).json
        let p = plan(n, ds + [replacement])
        #expect(p.creates.isEmpty)
        #expect(p.cancels.isEmpty)
        guard case .mark(let step) = p.redrives.first else {
            Issue.record("expected a mark, got \(p.redrives)")
            return
        }
        #expect(step.outcome == .redriven(replacement: replacement.name))
    }

    @Test func aRedrivenFailureIsNotRedrivenTwiceButItsReplacementCanBe() {
        let n = notification(to: ["a@x.io"])
        var ds = deliveries(n, [.failed])
        ds[0] = requested(ds[0], at: "2026-11-21T10:09:00.000Z")
        ds[0].labels[DeliveryRedrive.redrivenLabel] = "true"
        var replacement = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: ds[0].name + "-r1")
        replacement.spec = ds[0].spec
        replacement.spec?["redriveOf"] = .string(ds[0].name)
        replacement.status = DeliveryStatus(phase: .failed, attempts: 1).json
        replacement = requested(replacement, by: "bob")
        let p = plan(n, ds + [replacement])
        #expect(p.creates.map(\.name) == [ds[0].name + "-r2"])
        #expect(p.creates.first?.spec["redriveOf"] == .string(replacement.name))
        #expect(p.redrives.count == 2)
        if case .refuse(let s) = p.redrives.first {
            #expect(s.outcome == .refused("it was already redriven as \(replacement.name)"))
        } else {
            Issue.record("expected a refusal first, got \(p.redrives)")
        }
    }

    @Test func aRequestOnAnOlderRoundIsRefused() {
        let n = notification(to: ["a@x.io"], annotations: [NotificationPlanner.resendAnnotation: "again"])
        var old = deliveries(notification(to: ["a@x.io"]), [.failed])
        old[0] = requested(old[0])
        let p = plan(n, old)
        #expect(p.round == 1)
        #expect(p.creates.count == 1)
        #expect(p.creates.first?.spec["redriveOf"] == nil)
        guard case .refuse(let step) = p.redrives.first, case .refused(let why) = step.outcome else {
            Issue.record("expected a refusal, got \(p.redrives)")
            return
        }
        #expect(why.contains("round 0"))
    }

    @Test func aReplacedFailureNoLongerCountsForTheStatus() {
        let n = notification(to: ["a@x.io"])
        let ds = deliveries(n, [.failed])
        var replacement = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: ds[0].name + "-r1")
        replacement.spec = ds[0].spec
        replacement.spec?["redriveOf"] = .string(ds[0].name)
        replacement.status = DeliveryStatus(phase: .queued, attempts: 1).json
        let counted = RedrivePlanner.withoutReplaced(ds + [replacement])
        #expect(counted.map(\.name) == [replacement.name])
        let status = StatusAggregator().status(
            .init(
                generation: 1, accepted: .isTrue("Accepted", "Resolved", ""), deliveries: counted.map(\.deliveryStatus),
                current: nil, now: t0))
        #expect(status["phase"] == "Delivering")
        #expect(status["deliveries"]?["failed"] == 0)
        #expect(RedrivePlanner.withoutReplaced(ds).map(\.name) == ds.map(\.name))
    }

    @Test func failuresRecordWhenTheyHappened() {
        let machine = DeliveryStateMachine()
        let ctx = DeliveryStateMachine.Context(now: t0)
        let queued = DeliveryStatus(phase: .queued, attempts: 1, queuedTime: t0)
        let t = machine.handle(
            .result(.init(attempt: 1, outcome: .permanent, code: "HTTP400", message: "bad")), status: queued, context: ctx)
        #expect(t.status.phase == .failed)
        #expect(t.status.failedTime == t0)
        #expect(DeliveryStatus(json: t.status.json).failedTime == t0)
    }
}
