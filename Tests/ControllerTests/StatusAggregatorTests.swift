import Foundation
import HeraldAPI
import Testing

@testable import Controller

@Suite struct StatusAggregatorTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let aggregator = StatusAggregator()
    let accepted = Condition.isTrue("Accepted", "Resolved", "ok")

    func statuses(_ phases: [DeliveryPhase]) -> [DeliveryStatus] { phases.map { DeliveryStatus(phase: $0) } }

    func condition(_ status: JSON, _ type: String) -> JSON? {
        status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    @Test func inProgressCountsAndMessage() {
        let s = aggregator.status(
            .init(generation: 1, accepted: accepted, deliveries: statuses([.delivered, .delivered, .queued]), current: nil, now: t0))
        #expect(s["phase"] == "Delivering")
        #expect(s["deliveries"]?["total"] == 3)
        #expect(s["deliveries"]?["delivered"] == 2)
        #expect(s["deliveries"]?["pending"] == 1)
        #expect(condition(s, "Delivered")?["status"] == "False")
        #expect(condition(s, "Delivered")?["message"] == "2/3 delivered")
        #expect(condition(s, "Delivered")?["observedGeneration"] == 1)
        #expect(s["observedGeneration"] == 1)
    }

    @Test func allDelivered() {
        let s = aggregator.status(
            .init(generation: 2, accepted: accepted, deliveries: statuses([.delivered, .delivered, .suppressed]), current: nil, now: t0))
        #expect(s["phase"] == "Delivered")
        #expect(condition(s, "Delivered")?["status"] == "True")
        #expect(condition(s, "Delivered")?["message"] == "2/3 delivered, 1 suppressed")
        #expect(condition(s, "Ready")?["status"] == "True")
        #expect(condition(s, "Accepted")?["observedGeneration"] == 2)
    }

    @Test func failurePhases() {
        func phase(_ p: [DeliveryPhase]) -> JSON? {
            aggregator.status(.init(generation: 1, accepted: accepted, deliveries: statuses(p), current: nil, now: t0))["phase"]
        }
        #expect(phase([.failed, .failed]) == "Failed")
        #expect(phase([.failed, .delivered]) == "PartiallyFailed")
        #expect(phase([.expired]) == "Expired")
        #expect(phase([.pending]) == "Scheduled")
        #expect(phase([.retrying, .delivered]) == "Delivering")
        #expect(phase([]) == "Pending")
    }

    @Test func suspended() {
        let s = aggregator.status(
            .init(generation: 1, accepted: accepted, suspended: true, deliveries: statuses([.pending]), current: nil, now: t0))
        #expect(s["phase"] == "Suspended")
    }

    @Test func notAccepted() {
        let refused = Condition.isFalse("Accepted", "TemplateNotFound", "Template \"x\" not found")
        let s = aggregator.status(.init(generation: 1, accepted: refused, deliveries: [], current: nil, now: t0))
        #expect(s["phase"] == "Pending")
        #expect(condition(s, "Accepted")?["reason"] == "TemplateNotFound")
        #expect(condition(s, "Delivered")?["reason"] == "NotAccepted")
    }

    @Test func transitionTimeKeptWhileStatusHolds() {
        let first = aggregator.status(
            .init(generation: 1, accepted: accepted, deliveries: statuses([.queued, .delivered]), current: nil, now: t0))
        let later = t0.addingTimeInterval(60)
        // Same condition statuses (reason or message may change): times stay.
        let second = aggregator.status(
            .init(generation: 2, accepted: accepted, deliveries: statuses([.retrying, .delivered]), current: first, now: later))
        #expect(condition(second, "Delivered")?["lastTransitionTime"] == condition(first, "Delivered")?["lastTransitionTime"])
        #expect(condition(second, "Delivered")?["observedGeneration"] == 2)
        // Delivered flips to True: its time moves, Accepted's does not.
        let third = aggregator.status(
            .init(generation: 2, accepted: accepted, deliveries: statuses([.delivered, .delivered]), current: second, now: later))
        #expect(condition(third, "Delivered")?["lastTransitionTime"] == .string(Timestamp.format(later)))
        #expect(condition(third, "Accepted")?["lastTransitionTime"] == condition(first, "Accepted")?["lastTransitionTime"])
    }

    @Test func identicalInputsGiveIdenticalStatus() {
        let input = StatusAggregator.Input(generation: 1, accepted: accepted, deliveries: statuses([.delivered]), current: nil, now: t0)
        let s = aggregator.status(input)
        var again = input
        again.current = s
        again.now = t0.addingTimeInterval(100)
        #expect(aggregator.status(again) == s)
    }

    @Test func canceledCountsNowhere() {
        let s = aggregator.status(
            .init(generation: 1, accepted: accepted, deliveries: statuses([.delivered, .canceled]), current: nil, now: t0))
        #expect(s["deliveries"]?["total"] == 1)
        #expect(s["phase"] == "Delivered")
    }
}
