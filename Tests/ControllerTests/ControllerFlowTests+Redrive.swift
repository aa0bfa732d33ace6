import Foundation
import HeraldAPI
import Store
import Testing

@testable import Controller

/// Redriving a dead letter end to end: the controller against a real store and the test broker.
/// Part of `ControllerFlowTests`, so it runs one at a time with the other controller flows (each
/// runs a controller with a short leader lease, which a loaded machine starves when many run at once).
extension ControllerFlowTests {
    /// Asks for a redrive the way `heraldctl dlq redrive` does: two annotations on the Delivery.
    func requestRedrive(_ f: ControllerFixture, _ name: String, at: String, by: String) async throws {
        _ = try await f.store.store.guaranteedUpdate(ObjectKey(kind: "Delivery", namespace: "default", name: name)) { current in
            var next = current
            next.annotations[DeliveryRedrive.requestedAtAnnotation] = at
            next.annotations[DeliveryRedrive.requestedByAnnotation] = by
            return next
        }
    }

    @Test func aPermanentFailureIsRedrivenForItsPairAlone() async throws {
        // The first delivery to ada fails permanently; its redrive and everything else is delivered.
        let broker = TestBroker { job in
            job.recipient.address["email"] == "ada@x.io" && !job.delivery.hasSuffix("-r1")
                ? TestBroker.result(job, .permanent, code: "HTTP410", message: "gone") : TestBroker.result(job, .delivered)
        }
        try await ControllerFixture.run(broker: broker) { f in
            try await f.notify("dlq", to: ["ada@x.io", "bob@x.io"])
            let partial = try await f.waitFor("Notification", "dlq") { $0?.phase == "PartiallyFailed" }
            #expect(partial?.condition("Delivered")?["message"] == "1/2 delivered, 1 failed")
            let failed = try #require(try await f.deliveries(of: "dlq").first { $0.phase == "Failed" })
            #expect(failed.status?["failedTime"] != nil)

            try await requestRedrive(f, failed.name, at: "2026-11-21T10:05:00.000Z", by: "alice@host")
            let n = try await f.waitFor("Notification", "dlq", "to be Delivered after the redrive") {
                $0?.phase == "Delivered"
            }
            #expect(n?.condition("Delivered")?["message"] == "2/2 delivered")
            #expect(n?.status?["deliveries"]?["failed"] == 0)

            let all = try await f.deliveries(of: "dlq")
            #expect(all.count == 3)
            let replacement = try #require(all.first { $0.spec?["redriveOf"]?.stringValue == failed.name })
            #expect(replacement.name == failed.name + "-r1")
            #expect(replacement.phase == "Delivered")
            let old = try await f.store.get("Delivery", failed.name)
            #expect(old.phase == "Failed")
            #expect(old.labels[DeliveryRedrive.redrivenLabel] == "true")
            #expect(old.annotations[DeliveryRedrive.redrivenToAnnotation] == replacement.name)
            #expect(old.annotations[DeliveryRedrive.handledAnnotation] == "2026-11-21T10:05:00.000Z")
            // Bob's delivery was not sent again: three jobs, the last one the redrive.
            #expect(broker.published.count == 3)
            #expect(broker.published.last?.job.delivery == replacement.name)
            #expect(broker.published.last?.job.idempotencyKey != broker.published.first?.job.idempotencyKey)

            let redriven = try await waitForEvents(f, reason: "Redriven", count: 2)
            #expect(Set(redriven.compactMap { $0.json["involvedObject"]?["kind"]?.stringValue }) == ["Notification", "Delivery"])
            #expect(redriven.allSatisfy { $0.json["message"]?.stringValue?.hasPrefix("redriven by alice@host") == true })

            // A second request on the redriven failure is refused, and sends nothing.
            try await requestRedrive(f, failed.name, at: "2026-11-21T10:07:00.000Z", by: "bob@host")
            let refused = try await waitForEvents(f, reason: "RedriveRefused", count: 2)
            #expect(refused.allSatisfy { $0.json["message"]?.stringValue?.contains("already redriven") == true })
            let after = try await f.store.get("Delivery", failed.name)
            #expect(after.annotations[DeliveryRedrive.handledAnnotation] == "2026-11-21T10:07:00.000Z")
            #expect(after.annotations[DeliveryRedrive.refusedAnnotation]?.contains("already redriven") == true)
            #expect(broker.published.count == 3)
        }
    }

    @Test func aRedriveOfADeliveredPairIsRefused() async throws {
        try await ControllerFixture.run { f in
            try await f.notify("fine")
            try await f.waitFor("Notification", "fine") { $0?.phase == "Delivered" }
            let d = try #require(try await f.deliveries(of: "fine").first)
            try await requestRedrive(f, d.name, at: "2026-11-21T10:05:00.000Z", by: "alice@host")
            let refused = try await waitForEvents(f, reason: "RedriveRefused", count: 2)
            #expect(refused.first?.json["message"]?.stringValue?.contains("it is Delivered") == true)
            #expect(f.broker.published.count == 1)
            #expect(try await f.deliveries(of: "fine").count == 1)
        }
    }

    /// Polls until at least `count` Events with `reason` exist (the recorder writes them in the background).
    func waitForEvents(
        _ f: ControllerFixture, reason: String, count: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [Resource] {
        let deadline = Date().addingTimeInterval(10)
        var found: [Resource] = []
        while Date() < deadline {
            found = try await f.events().filter { $0.json["reason"]?.stringValue == reason }
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(count) \(reason) events; found \(found.count)", sourceLocation: sourceLocation)
        return found
    }
}
