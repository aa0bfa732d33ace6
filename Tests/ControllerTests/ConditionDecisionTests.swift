import Foundation
import HeraldAPI
import Testing

@testable import Controller

/// The pure decisions behind the Template `Valid`, Channel `CircuitOpen` and Recipient
/// `StaleAddresses` conditions.
@Suite struct ConditionDecisionTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let declared: JSON = ["variables": [["name": "name"], ["name": "link"]], "email": ["subject": "Hi {{name}}"]]

    func review(_ used: [String]?, syntax: [TemplateProblem] = []) -> TemplateReview {
        TemplateReview(syntaxErrors: syntax, usedVariables: used, digest: "sha256:abc")
    }

    @Test func templateValidWhenEverythingUsedIsDeclared() {
        let c = TemplateValidity.condition(spec: declared, review: review(["name", "link", "recipient.email"]))
        #expect(c.status == .true && c.reason == "Valid")
        // No declarations: nothing to compare against.
        let bare = TemplateValidity.condition(spec: ["sms": ["text": "{{x}}"]], review: review(["x"]))
        #expect(bare.status == .true)
    }

    @Test func templateUndeclaredVariablesNamed() {
        let c = TemplateValidity.condition(spec: declared, review: review(["name", "user.email", "vip", "user.name"]))
        #expect(c.status == .false)
        #expect(c.reason == "UndeclaredVariables")
        #expect(c.message.contains("\"user\", \"vip\""), "\(c.message)")
        #expect(!c.message.contains("\"name\""))
    }

    @Test func templateSyntaxErrorWins() {
        let problem = TemplateProblem(reason: "SyntaxError", message: "spec.email.subject at line 1, column 4: tag not closed")
        let c = TemplateValidity.condition(spec: declared, review: review(nil, syntax: [problem]))
        #expect(c.status == .false && c.reason == "SyntaxError")
        #expect(c.message.hasPrefix("spec.email.subject at line 1, column 4"))
    }

    @Test func templateStatusWrittenOnlyOnChange() throws {
        let first = try #require(TemplateValidity.status(current: nil, spec: declared, generation: 1, review: review(["name"]), now: now))
        #expect(first["digest"] == "sha256:abc")
        #expect(first["observedGeneration"] == 1)
        #expect(first["conditions"]?.arrayValue?.first?["observedGeneration"] == 1)
        // The same decision later: nothing to write.
        #expect(TemplateValidity.status(current: first, spec: declared, generation: 1, review: review(["name"]), now: now + 60) == nil)
        // A new generation is recorded, the transition time kept while the status holds.
        let second = try #require(
            TemplateValidity.status(current: first, spec: declared, generation: 2, review: review(["name"]), now: now + 60))
        #expect(second["conditions"]?.arrayValue?.first?["observedGeneration"] == 2)
        #expect(second["conditions"]?.arrayValue?.first?["lastTransitionTime"] == .string(Timestamp.format(now)))
        let third = try #require(
            TemplateValidity.status(current: second, spec: declared, generation: 3, review: review(["other"]), now: now + 120))
        #expect(third["conditions"]?.arrayValue?.first?["status"] == "False")
        #expect(third["conditions"]?.arrayValue?.first?["lastTransitionTime"] == .string(Timestamp.format(now + 120)))
    }

    func result(_ outcome: DeliveryOutcome, _ circuit: CircuitState, code: String = "HTTP503", message: String = "down")
        -> DeliveryResult
    {
        DeliveryResult(
            deliveryUID: "u", attempt: 1, outcome: outcome, code: code, message: message,
            timings: DeliveryTimings(startedAt: now, finishedAt: now), circuit: circuit)
    }

    @Test func circuitObservationsFoldABatch() {
        let a = ObjectKey(kind: "Channel", namespace: "default", name: "a")
        let b = ObjectKey(kind: "Channel", namespace: "default", name: "b")
        let obs = CircuitCondition.observations([
            (a, result(.transient, .closed, message: "first")),
            (b, result(.delivered, .closed)),
            (a, result(.transient, .open, message: "timeout")),
            (a, result(.transient, .open, code: "CircuitOpen", message: "the circuit breaker is open")),
        ])
        #expect(obs.count == 2)
        #expect(obs[a] == CircuitCondition.Observation(state: .open, lastError: "HTTP503: timeout"))
        #expect(obs[b]?.state == .closed)
        #expect(obs[b]?.lastError == nil)
    }

    @Test func circuitConditionChangesOnlyWithTheBreaker() throws {
        let open = CircuitCondition.Observation(state: .open, lastError: "HTTP503: down")
        let set = try #require(CircuitCondition.change(current: nil, observation: open))
        #expect(set.status == .true && set.reason == "FailureThresholdReached")
        #expect(set.message.hasSuffix("Last error: HTTP503: down"))
        let stored: JSON = ["type": "CircuitOpen", "status": "True", "reason": "FailureThresholdReached", "message": "old"]
        // Same state, another error: no write.
        #expect(CircuitCondition.change(current: stored, observation: .init(state: .open, lastError: "HTTP500: x")) == nil)
        let half = try #require(CircuitCondition.change(current: stored, observation: .init(state: .halfOpen, lastError: nil)))
        #expect(half.status == .true && half.reason == "HalfOpen")
        let closed = try #require(CircuitCondition.change(current: stored, observation: .init(state: .closed, lastError: nil)))
        #expect(closed.status == .false && closed.reason == "Closed")
        let storedClosed: JSON = ["type": "CircuitOpen", "status": "False", "reason": "Closed"]
        #expect(CircuitCondition.change(current: storedClosed, observation: .init(state: .closed, lastError: nil)) == nil)
    }

    @Test func staleAddressesNamedByChannelType() {
        let spec: JSON = [
            "devices": [["type": "fcm", "token": "tok-1"], ["type": "apns", "token": .string(String(repeating: "a", count: 64))]],
            "webPush": [["endpoint": "https://push.example.net/s/1"]],
        ]
        let c = StaleAddressCondition.condition(
            stale: ["tok-1", String(repeating: "a", count: 64), "https://push.example.net/s/1", "gone"], spec: spec)
        #expect(c.status == .true && c.reason == "ProviderReportedGone")
        #expect(c.message.hasPrefix("4 addresses reported gone by the provider: fcm token tok-1, apns token aaaa"), "\(c.message)")
        #expect(c.message.contains("..., webpush subscription https://push.example.net/s/1, gone (no longer in the spec)"))
        #expect(StaleAddressCondition.condition(stale: [], spec: spec).status == .false)
    }

    @Test func staleAddressesFollowTheSpec() throws {
        // Never stale: nothing to write.
        #expect(StaleAddressCondition.status(current: nil, spec: ["email": "a@x.io"], generation: 1, now: now) == nil)
        let spec: JSON = ["devices": [["type": "fcm", "token": "tok-1"], ["type": "fcm", "token": "tok-2"]]]
        let c = StaleAddressCondition.condition(stale: ["tok-1", "tok-2"], spec: spec)
        let conditions = Conditions.merge(existing: [], desired: [c], generation: 1, now: now)
        let stale: JSON = ["staleAddresses": ["tok-1", "tok-2"], "conditions": .array(conditions)]
        #expect(StaleAddressCondition.status(current: stale, spec: spec, generation: 1, now: now) == nil)
        // tok-1 refreshed: it leaves the list, tok-2 stays.
        let refreshed: JSON = ["devices": [["type": "fcm", "token": "tok-9"], ["type": "fcm", "token": "tok-2"]]]
        let one = try #require(StaleAddressCondition.status(current: stale, spec: refreshed, generation: 2, now: now))
        #expect(one["staleAddresses"] == ["tok-2"])
        #expect(one["conditions"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("1 address reported gone") == true)
        // Both gone: the list goes and the condition turns False.
        let none = try #require(StaleAddressCondition.status(current: one, spec: ["email": "a@x.io"], generation: 3, now: now))
        #expect(none["staleAddresses"] == nil)
        #expect(none["conditions"]?.arrayValue?.first?["status"] == "False")
        #expect(StaleAddressCondition.status(current: none, spec: ["email": "a@x.io"], generation: 3, now: now) == nil)
    }
}
