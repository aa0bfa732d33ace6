import Foundation
import HeraldAPI
import Testing

@testable import heraldctl

@Suite struct DeadLetterTests {
    let now = Timestamp.parse("2026-01-01T01:00:00Z") ?? Date()

    func letter(_ name: String, message: String = "upstream unavailable", annotations: [String: String] = [:]) -> DeadLetter {
        var object: JSON = [
            "apiVersion": "herald.dev/v1alpha1", "kind": "Delivery",
            "metadata": ["name": .string(name), "namespace": "ops", "uid": "u-1", "creationTimestamp": "2026-01-01T00:00:00Z"],
            "spec": ["notification": "welcome", "recipient": "ada", "channel": "hooks", "channelType": "webhook", "round": 2],
            "status": [
                "phase": "Failed", "attempts": 6, "reason": "AttemptsExhausted", "failedTime": "2026-01-01T00:30:00.250Z",
                "lastError": ["class": "transient", "code": "HTTP503", "message": .string(message)],
            ],
        ]
        if !annotations.isEmpty { object["metadata"]?["annotations"] = JSON(annotations) }
        return DeadLetter(object)
    }

    @Test func theRequesterIsAsThenContextUserThenUserAtHost() {
        #expect(Requester.resolve(explicit: "alice", contextUser: "ctx", environment: ["USER": "u"], hostName: "h") == "alice")
        #expect(Requester.resolve(explicit: " ", contextUser: "ctx", environment: ["USER": "u"], hostName: "h") == "ctx")
        #expect(Requester.resolve(explicit: nil, contextUser: nil, environment: ["USER": "u"], hostName: "box.example.com") == "u@box")
        #expect(Requester.resolve(explicit: nil, contextUser: nil, environment: ["LOGNAME": "l"], hostName: "") == "l@localhost")
        #expect(Requester.resolve(explicit: nil, contextUser: nil, environment: [:], hostName: "h") == "unknown@h")
    }

    @Test func theViewReadsTheDeliveryFields() {
        let d = letter("welcome-x-2")
        #expect(d.isFailed)
        #expect(d.idempotencyKey == "u-1-2")
        #expect(d.failedAt.map { Timestamp.format($0) } == "2026-01-01T00:30:00Z")
        #expect(d.redriveState == "")
        let asked = letter("a", annotations: [DeliveryRedrive.requestedAtAnnotation: "t1", DeliveryRedrive.requestedByAnnotation: "bob"])
        #expect(asked.redriveState == "requested by bob at t1")
        let refused = letter(
            "a",
            annotations: [
                DeliveryRedrive.requestedAtAnnotation: "t1", DeliveryRedrive.requestedByAnnotation: "bob",
                DeliveryRedrive.handledAnnotation: "t1", DeliveryRedrive.refusedAnnotation: "it is Delivered",
            ])
        #expect(refused.redriveState == "refused (asked by bob): it is Delivered")
    }

    @Test func showSaysWhichAttemptsSentNothing() {
        var d = letter("welcome-x-2").object
        d["status"]?["heldBack"] = 2
        let page = DeadLetterPrinter(now: now).show(DeadLetter(d), events: [])
        #expect(page.contains("Attempts:         6 (2 held back: nothing sent)\n"), "\(page)")
        #expect(page.contains("Idempotency Key:  u-1-2\n"), "\(page)")
        #expect(page.hasSuffix("  Message:  upstream unavailable\nEvents:     <none>\n"), "\(page)")
    }

    @Test func theTableTruncatesLongErrorsAndShowsTheFailureAge() {
        let long = String(repeating: "x", count: 100)
        let table = DeadLetterPrinter(now: now).table([letter("welcome-x-2", message: long)], wide: false, withNamespace: false)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[1].contains(String(repeating: "x", count: 57) + "..."))
        #expect(!lines[1].contains(String(repeating: "x", count: 58)))
        #expect(lines[1].hasSuffix("29m"))
        let wide = DeadLetterPrinter(now: now).table([letter("welcome-x-2")], wide: true, withNamespace: true)
        #expect(wide.hasPrefix("NAMESPACE"))
        #expect(wide.contains("transient"))
    }

    @Test func listQueriesFilterOnTheServer() {
        let q = DeadLetters.listQuery(notification: "welcome", channel: "hooks", includeRedriven: false)
        #expect(q.map(\.0) == ["fieldSelector", "labelSelector"])
        #expect(q.first?.1 == "status.phase=Failed,spec.notification=welcome,spec.channel=hooks")
        #expect(q.last?.1 == "!herald.dev/redriven")
        #expect(DeadLetters.listQuery(notification: nil, channel: nil, includeRedriven: true).count == 1)
    }
}
