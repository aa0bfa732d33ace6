import Foundation
import HeraldAPI
import Testing

@testable import Controller

/// Results that arrive packed in one message, as a busy worker sends them.
extension ControllerFlowTests {
    /// Polls `condition` for up to ten seconds.
    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<1000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for \(what)")
    }

    /// Runs `body` once the three results of Notification `name` are held back by the broker.
    static func withThreeHeldResults(_ name: String, _ body: (ControllerFixture, TestBroker) async throws -> Void)
        async throws
    {
        let broker = TestBroker.delivering()
        broker.holdResults()
        try await ControllerFixture.run(broker: broker) { f in
            try await f.notify(name, to: ["a@x.io", "b@x.io", "c@x.io"])
            try await eventually("three results") { broker.heldCount == 3 }
            try await body(f, broker)
        }
    }

    @Test func packedResultsAreAllAppliedAndAcknowledgedOnce() async throws {
        try await Self.withThreeHeldResults("packed") { f, broker in
            // A bad element among them is dropped; the three good ones are applied.
            let token = broker.releaseHeld(adding: [Array(#"{"deliveryUID":"nope","attempt":"two"}"#.utf8)])
            let n = try await f.waitFor("Notification", "packed", "to be Delivered") { $0?.conditionStatus("Delivered") == "True" }
            #expect(n?.status?["deliveries"]?["delivered"] == 3)
            let deliveries = try await f.deliveries(of: "packed")
            #expect(deliveries.count == 3 && deliveries.allSatisfy { $0.phase == "Delivered" && $0.status?["attempts"] == 1 })
            try await Self.eventually("the acknowledgement") { !broker.acknowledged.isEmpty }
            #expect(broker.acknowledged == [token])
            #expect(broker.rejected.isEmpty)
        }
    }

    @Test func aPackWithNoReadableResultIsRejected() async throws {
        let broker = TestBroker.delivering()
        try await ControllerFixture.run(broker: broker) { f in
            let bad = broker.send(ResultMessage.body([Array("[1]".utf8), Array("{}".utf8)]))
            let notJSON = broker.send(Array("{nope".utf8))
            try await Self.eventually("both rejections") { broker.rejected.count == 2 }
            #expect(broker.rejected == [bad, notJSON])
        }
    }

    /// The results of a batch are applied in one store submission: one whose delivery went away
    /// meanwhile is dropped, and the others are still applied and the batch acknowledged.
    @Test func aResultWhoseDeliveryWasDeletedDoesNotHoldUpTheOthers() async throws {
        try await Self.withThreeHeldResults("gone") { f, broker in
            let victim = try #require(try await f.deliveries(of: "gone").first)
            _ = try await f.store.store.delete(victim.key)
            let token = broker.releaseHeld()
            try await Self.eventually("the acknowledgement") { !broker.acknowledged.isEmpty }
            #expect(broker.acknowledged == [token])
            #expect(broker.rejected.isEmpty)
            let remaining = try await f.deliveries(of: "gone").filter { $0.name != victim.name }
            #expect(remaining.count == 2)
            #expect(remaining.allSatisfy { $0.phase == "Delivered" })
        }
    }
}
