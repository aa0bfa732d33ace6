import Foundation
import HeraldAPI
import Store
import Testing

@testable import Controller
@testable import herald

/// The Template `Valid`, Channel `CircuitOpen` and Recipient `StaleAddresses` conditions
/// written by a running controller against a real SQLite store. Part of the serialized
/// `ControllerFlowTests` so that no two of these controllers compete for a loaded machine (a
/// starved process loses its two-second test lease); waits are long for the same reason.
extension ControllerFlowTests {
    @Test func templateValidTransitions() async throws {
        let t = try TestStore()
        defer { t.remove() }
        try await withController(t.store, broker: .delivering(), templateChecker: RendererTemplateChecker()) {
            try await t.create(
                "Template", "welcome",
                ["variables": [["name": "name"]], "email": ["subject": "Hi {{name}}", "text": "{{#vip}}VIP {{/vip}}{{link}}"]])
            let invalid = try await t.waitFor("Template", "welcome", timeout: 30, "to be UndeclaredVariables") {
                $0?.condition("Valid")?["reason"] == "UndeclaredVariables"
            }
            #expect(invalid?.conditionStatus("Valid") == "False")
            #expect(invalid?.condition("Valid")?["message"]?.stringValue?.contains("\"link\", \"vip\"") == true)
            #expect(invalid?.condition("Valid")?["observedGeneration"] == 1)
            #expect(invalid?.status?["digest"]?.stringValue?.hasPrefix("sha256:") == true)

            var fixed = try await t.get("Template", "welcome")
            fixed.spec?["variables"] = [["name": "name"], ["name": "link"], ["name": "vip"]]
            _ = try await t.store.update(fixed)
            let valid = try await t.waitFor("Template", "welcome", timeout: 30, "to be Valid") { $0?.conditionStatus("Valid") == "True" }
            #expect(valid?.condition("Valid")?["reason"] == "Valid")
            #expect(valid?.condition("Valid")?["observedGeneration"] == 2)
            #expect(valid?.status?["digest"] != invalid?.status?["digest"])

            // Stored behind the API server's back (as before the admission check): reported.
            try await t.create("Template", "broken", ["sms": ["text": "Hi {{name"]])
            let broken = try await t.waitFor("Template", "broken", timeout: 30, "to be SyntaxError") {
                $0?.condition("Valid")?["reason"] == "SyntaxError"
            }
            #expect(broken?.condition("Valid")?["message"]?.stringValue?.contains("spec.sms.text at line 1, column") == true)

            // Nothing changes: no more writes.
            let rv = try #require(valid?.resourceVersion)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await t.get("Template", "welcome").resourceVersion == rv)
        }
    }

    @Test func circuitOpenThenClosed() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let broker = TestBroker { job in
            if job.attempt == 1 {
                var r = TestBroker.result(job, .transient, code: "HTTP503", message: "provider down")
                r.circuit = .open
                return r
            }
            return TestBroker.result(job, .delivered)
        }
        try await withController(t.store, broker: broker) {
            try await t.create("Channel", "hooks", ["type": "log", "retry": ["initialBackoff": "1s", "jitter": "none"]])
            try await t.create(
                "Notification", "n", ["message": ["text": "hi"], "channels": ["hooks"], "to": [["address": ["email": "a@x.io"]]]])
            let open = try await t.waitFor("Channel", "hooks", timeout: 30, "to have CircuitOpen=True") {
                $0?.conditionStatus("CircuitOpen") == "True"
            }
            #expect(open?.condition("CircuitOpen")?["reason"] == "FailureThresholdReached")
            #expect(open?.condition("CircuitOpen")?["message"]?.stringValue?.contains("HTTP503: provider down") == true)
            let closed = try await t.waitFor("Channel", "hooks", timeout: 30, "to have CircuitOpen=False") {
                $0?.conditionStatus("CircuitOpen") == "False"
            }
            #expect(closed?.condition("CircuitOpen")?["reason"] == "Closed")
            try await t.waitFor("Notification", "n", timeout: 30) { $0?.conditionStatus("Delivered") == "True" }
        }
    }

    @Test func staleAddressCondition() async throws {
        let t = try TestStore()
        defer { t.remove() }
        let broker = TestBroker { job in
            var r = TestBroker.result(job, .permanent, code: "Unregistered", message: "token gone")
            r.staleAddress = StaleAddress(channelType: "fcm", kind: "deviceToken", value: "tok-1", reason: "Unregistered")
            return r
        }
        try await withController(t.store, broker: broker) {
            try await t.create("Channel", "log", ["type": "log"])
            try await t.create("Recipient", "ada", ["email": "ada@example.com", "devices": [["type": "fcm", "token": "tok-1"]]])
            try await t.create(
                "Notification", "n", ["message": ["text": "hi"], "channels": ["log"], "to": [["recipientRef": ["name": "ada"]]]])
            let ada = try await t.waitFor("Recipient", "ada", timeout: 30, "to have StaleAddresses") {
                $0?.conditionStatus("StaleAddresses") == "True"
            }
            #expect(ada?.status?["staleAddresses"] == ["tok-1"])
            #expect(ada?.condition("StaleAddresses")?["reason"] == "ProviderReportedGone")
            #expect(ada?.condition("StaleAddresses")?["message"]?.stringValue?.contains("fcm token tok-1") == true)

            // The user removes the gone token: the list and the condition follow.
            var fixed = try await t.get("Recipient", "ada")
            fixed.spec?["devices"] = nil
            _ = try await t.store.update(fixed)
            let cleared = try await t.waitFor("Recipient", "ada", timeout: 30, "to have StaleAddresses=False") {
                $0?.conditionStatus("StaleAddresses") == "False"
            }
            #expect(cleared?.status?["staleAddresses"] == nil)
            #expect(cleared?.condition("StaleAddresses")?["observedGeneration"] == 2)
        }
    }
}
