import Foundation
import HeraldAPI
import Store
import Synchronization
import Testing

@testable import Controller

/// The controller against a real SQLite store and an in-memory broker and worker.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ControllerFlowTests {
    @Test func threeRecipientsAllDelivered() async throws {
        try await ControllerFixture.run { f in
            for (name, team) in [("ada", "sre"), ("bob", "sre"), ("cy", "dev")] {
                try await f.store.create("Recipient", name, ["email": .string("\(name)@example.com")], labels: ["team": team])
            }
            try await f.store.create(
                "Notification", "hello",
                [
                    "message": ControllerFixture.inline, "variables": ["name": "all"], "channels": ["log"],
                    "to": [["selector": ["matchLabels": ["team": "sre"]]], ["recipientRef": ["name": "cy"]]],
                ])
            let n = try await f.waitFor("Notification", "hello", "to be Delivered") {
                $0?.conditionStatus("Delivered") == "True"
            }
            #expect(n?.phase == "Delivered")
            #expect(n?.status?["deliveries"]?["total"] == 3)
            #expect(n?.status?["deliveries"]?["delivered"] == 3)
            #expect(n?.condition("Delivered")?["message"] == "3/3 delivered")
            #expect(n?.condition("Delivered")?["observedGeneration"] == 1)
            #expect(n?.conditionStatus("Accepted") == "True")
            #expect(n?.conditionStatus("Ready") == "True")
            #expect(n?.finalizers == ["herald.dev/cancel"])
            let deliveries = try await f.deliveries(of: "hello")
            #expect(deliveries.count == 3)
            #expect(deliveries.allSatisfy { $0.phase == "Delivered" && $0.status?["attempts"] == 1 })
            #expect(deliveries.allSatisfy { $0.ownerReferences.first?.uid == n?.uid })
            #expect(f.broker.published.count == 3)
        }
    }

    @Test func transientThenDelivered() async throws {
        let broker = TestBroker { job in
            job.attempt == 1
                ? TestBroker.result(job, .transient, code: "HTTP503", message: "unavailable") : TestBroker.result(job, .delivered)
        }
        let phases = Locked<[String]>([])
        try await ControllerFixture.run(broker: broker, channel: ["type": "log", "retry": ["initialBackoff": "300ms", "jitter": "none"]]) {
            f in
            let watch = Task {
                let events = try await f.store.store.watch(kind: "Delivery", namespace: "default", options: ListOptions(), after: nil)
                for try await e in events {
                    if let p = e.object.phase { phases.withLock { if $0.last != p { $0.append(p) } } }
                }
            }
            defer { watch.cancel() }
            try await f.notify("retry")
            try await f.waitFor("Notification", "retry") { $0?.conditionStatus("Delivered") == "True" }
            let d = try await f.deliveries(of: "retry").first
            #expect(d?.status?["attempts"] == 2)
            #expect(d?.phase == "Delivered")
            try await Task.sleep(for: .milliseconds(100))
            #expect(phases.withLock { $0 }.contains("Retrying"))
            #expect(phases.withLock { $0 }.last == "Delivered")
            let starts = broker.started.map(\.at)
            #expect(starts.count == 2)
            if starts.count == 2 { #expect(starts[1].timeIntervalSince(starts[0]) >= 0.29) }
        }
    }

    @Test func permanentFailureDeadLetters() async throws {
        let broker = TestBroker { job in TestBroker.result(job, .permanent, code: "HTTP400", message: "bad request") }
        try await ControllerFixture.run(broker: broker) { f in
            try await f.notify("bad")
            let n = try await f.waitFor("Notification", "bad") { $0?.phase == "Failed" }
            #expect(n?.conditionStatus("Delivered") == "False")
            #expect(n?.condition("Delivered")?["reason"] == "Failed")
            let d = try await f.deliveries(of: "bad").first
            #expect(d?.phase == "Failed")
            #expect(d?.status?["reason"] == "PermanentFailure")
            #expect(d?.status?["lastError"]?["code"] == "HTTP400")
            #expect(d?.status?["failedTime"] != nil)
            #expect(broker.deadLetters.count == 1)
            #expect(broker.deadLetters.first?.reason == "PermanentFailure")
            #expect(broker.published.count == 1)
        }
    }

    @Test func exhaustedAttemptsFail() async throws {
        let broker = TestBroker { job in TestBroker.result(job, .transient, code: "HTTP503") }
        try await ControllerFixture.run(
            broker: broker, channel: ["type": "log", "retry": ["maxAttempts": 3, "initialBackoff": "50ms", "jitter": "none"]]
        ) { f in
            try await f.notify("flaky")
            try await f.waitFor("Notification", "flaky") { $0?.phase == "Failed" }
            let d = try await f.deliveries(of: "flaky").first
            #expect(d?.status?["attempts"] == 3)
            #expect(d?.status?["reason"] == "AttemptsExhausted")
            #expect(broker.deadLetters.first?.attempts == 3)
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        let broker = TestBroker { job in
            job.attempt == 1 ? TestBroker.result(job, .transient, code: "HTTP429", retryAfter: 2) : TestBroker.result(job, .delivered)
        }
        try await ControllerFixture.run(broker: broker, channel: ["type": "log", "retry": ["initialBackoff": "100ms"]]) { f in
            try await f.notify("later")
            try await f.waitFor("Notification", "later", timeout: 15) { $0?.conditionStatus("Delivered") == "True" }
            let starts = broker.started.map(\.at)
            #expect(starts.count == 2)
            if starts.count == 2 {
                let gap = starts[1].timeIntervalSince(starts[0])
                #expect(gap >= 2.0)
                #expect(gap < 3.5)
            }
            // The second attempt went through the broker's 1 s tier after a 1 s hold.
            #expect(broker.published.last?.delay == 1)
        }
    }

    @Test func deletingCancelsPendingDeliveries() async throws {
        try await ControllerFixture.run { f in
            try await f.notify(
                "future", to: ["a@x.io", "b@x.io"], ["notBefore": .string(Timestamp.format(Date().addingTimeInterval(7200)))])
            let n = try await f.waitFor("Notification", "future") { $0?.phase == "Scheduled" }
            #expect(n?.condition("Delivered")?["reason"] == "Scheduled")
            let before = try await f.deliveries(of: "future")
            #expect(before.count == 2)
            #expect(before.allSatisfy { $0.phase == "Pending" && $0.status?["nextAttemptTime"] != nil })
            _ = try await f.store.store.delete(ObjectKey(kind: "Notification", namespace: "default", name: "future"))
            try await f.waitFor("Notification", "future", "to be gone") { $0 == nil }
            let after = try await f.deliveries(of: "future")
            #expect(after.count == 2)
            #expect(after.allSatisfy { $0.phase == "Canceled" && $0.status?["reason"] == "NotificationDeleted" })
            #expect(f.broker.published.isEmpty)
        }
    }

    @Test func notAcceptedUntilTheTemplateAppears() async throws {
        try await ControllerFixture.run { f in
            try await f.store.create(
                "Notification", "tpl",
                [
                    "templateRef": ["name": "welcome"], "variables": ["name": "Ada"], "channels": ["log"],
                    "to": [["address": ["email": "a@x.io"]]],
                ])
            let n = try await f.waitFor("Notification", "tpl") { $0?.condition("Accepted")?["reason"] == "TemplateNotFound" }
            #expect(n?.conditionStatus("Accepted") == "False")
            #expect(n?.condition("Accepted")?["message"]?.stringValue?.contains("\"welcome\"") == true)
            try await f.store.create(
                "Template", "welcome", ["variables": [["name": "name", "required": true]], "chat": ["text": "Hi {{name}}"]])
            try await f.waitFor("Notification", "tpl") { $0?.conditionStatus("Delivered") == "True" }
            #expect(f.broker.published.first?.job.template["chat"]?["text"] == "Hi {{name}}")
            // Events are written after the status, by the recorder's own task.
            _ = try await waitForEvents(f, reason: "Delivered", count: 1)
            let events = try await f.events()
            let reasons = Set(events.map { $0.json["reason"]?.stringValue ?? "" })
            #expect(reasons.contains("TemplateNotFound"))
            #expect(reasons.contains("Delivered"))
            let delivered = events.first { $0.json["reason"] == "Delivered" }
            #expect(delivered?.json["involvedObject"]?["kind"] == "Notification")
            #expect(delivered?.json["source"]?["component"] == "herald-controller")
        }
    }

    @Test func specChangeMovesObservedGeneration() async throws {
        try await ControllerFixture.run { f in
            try await f.notify("gen")
            try await f.waitFor("Notification", "gen") { $0?.conditionStatus("Delivered") == "True" }
            try await f.change(notification: "gen") { $0.spec?["message"]?["subject"] = "changed" }
            let n = try await f.waitFor("Notification", "gen") {
                $0?.generation == 2 && $0?.condition("Delivered")?["observedGeneration"] == 2
            }
            #expect(n?.conditionStatus("Delivered") == "True")
            #expect(n?.status?["observedGeneration"] == 2)
            // Nothing new was sent for a change that adds no pair.
            #expect(f.broker.published.count == 1)
            // Adding a recipient sends to the new pair only.
            try await f.change(notification: "gen") {
                $0.spec?["to"] = [["address": ["email": "a@x.io"]], ["address": ["email": "b@x.io"]]]
            }
            try await f.waitFor("Notification", "gen") {
                $0?.condition("Delivered")?["observedGeneration"] == 3 && $0?.condition("Delivered")?["message"] == "2/2 delivered"
            }
            #expect(f.broker.published.count == 2)
        }
    }

    @Test func resendAnnotationStartsANewRound() async throws {
        try await ControllerFixture.run { f in
            try await f.notify("again")
            try await f.waitFor("Notification", "again") { $0?.conditionStatus("Delivered") == "True" }
            try await f.change(notification: "again") { $0.annotations["herald.dev/resend-at"] = "now" }
            try await f.waitFor("Notification", "again") { $0?.status?["round"] == 1 && $0?.conditionStatus("Delivered") == "True" }
            let deliveries = try await f.deliveries(of: "again")
            #expect(deliveries.count == 2)
            #expect(Set(deliveries.compactMap { $0.spec?["round"]?.intValue }) == [0, 1])
            #expect(f.broker.published.count == 2)
            // The first round's creation is told in the Accepted event; a later round's, in its own.
            let accepted = try await waitForEvents(f, reason: "Accepted", count: 1)
            #expect(accepted.count == 1)
            #expect(accepted.first?.json["message"]?.stringValue?.hasSuffix("; created 1 delivery (1 queued)") == true)
            let created = try await waitForEvents(f, reason: "DeliveriesCreated", count: 1)
            #expect(created.map { $0.json["message"]?.stringValue } == ["created 1 delivery (1 queued)"])
        }
    }

    @Test func publishFailureIsRetriedSoon() async throws {
        let broker = TestBroker.delivering()
        broker.failNextPublishes(1)
        try await ControllerFixture.run(broker: broker) { f in
            try await f.notify("retrypub")
            try await f.waitFor("Notification", "retrypub", timeout: 10) { $0?.conditionStatus("Delivered") == "True" }
            let d = try await f.deliveries(of: "retrypub").first
            #expect(d?.status?["attempts"] == 1)
        }
    }

    /// The queued timeout is armed when the delivery is created: a job the broker loses is
    /// published again, as the same attempt, once it passes.
    @Test func aJobWithNoResultIsPublishedAgainAfterTheQueuedTimeout() async throws {
        let calls = Locked(0)
        let broker = TestBroker { job in
            if calls.withLock({ c -> Int in
                c += 1
                return c
            }) == 1 {
                try? await Task.sleep(for: .seconds(3600))
            }
            return TestBroker.result(job, .delivered)
        }
        var configuration = Controller.Configuration.soleReplica()
        configuration.queuedTimeout = 1
        try await ControllerFixture.run(broker: broker, configuration: configuration) { f in
            try await f.notify("requeued")
            try await f.waitFor("Notification", "requeued", timeout: 10) { $0?.conditionStatus("Delivered") == "True" }
            #expect(broker.published.map(\.job.attempt) == [1, 1])
        }
    }

    @Test func jobsLostWithAnInMemoryBrokerArePublishedAgainOnStart() async throws {
        // First process: the job goes into a broker that loses it (its worker never answers).
        let losing = TestBroker { job in
            try? await Task.sleep(for: .seconds(3600))
            return TestBroker.result(job, .delivered)
        }
        try await ControllerFixture.withStore { f in
            try await f.controller(broker: losing) {
                try await f.notify("lost")
                try await f.waitFor("Notification", "lost") { $0?.status?["deliveries"]?["pending"] == 1 }
            }
            // Restart on a fresh in-memory broker: delivered long before the 30 s queued timeout.
            var configuration = Controller.Configuration.soleReplica()
            configuration.jobsSurviveRestart = false
            let broker = TestBroker.delivering()
            try await f.controller(broker: broker, configuration: configuration) {
                try await f.waitFor("Notification", "lost", timeout: 5) { $0?.conditionStatus("Delivered") == "True" }
                #expect(broker.published.map(\.job.attempt) == [1])
            }
        }
    }
}
