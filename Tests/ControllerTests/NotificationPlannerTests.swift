import Foundation
import HeraldAPI
import Testing

@testable import Controller

@Suite struct NotificationPlannerTests {
    // 2026-11-21T10:00:00Z, a Saturday.
    let t0 = Timestamp.parse("2026-11-21T10:00:00Z") ?? Date()
    let planner = NotificationPlanner()

    func notification(_ spec: JSON, name: String = "welcome", annotations: [String: String] = [:], status: JSON? = nil) -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: "default", name: name)
        r.uid = "uid-n"
        r.generation = 1
        r.annotations = annotations
        r.spec = spec
        r.status = status
        return r
    }

    func object(_ kind: String, _ name: String, _ spec: JSON, labels: [String: String] = [:]) -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: kind, namespace: "default", name: name)
        r.labels = labels
        r.spec = spec
        return r
    }

    var logChannel: Resource { object("Channel", "log", ["type": "log"]) }
    var mailChannel: Resource { object("Channel", "mail", ["type": "smtp", "smtp": ["host": "h", "from": "f@x"]]) }

    func input(
        _ n: Resource, template: Resource? = nil, channels: [Resource]? = nil, recipients: [Resource] = [],
        deliveries: [Resource] = [], now: Date? = nil
    ) -> NotificationPlanner.Input {
        let chs = channels ?? [logChannel]
        return .init(
            notification: n, template: template, channels: Dictionary(uniqueKeysWithValues: chs.map { ($0.name, $0) }),
            recipients: recipients, deliveries: deliveries, now: now ?? t0)
    }

    let inline: JSON = ["subject": "Hi", "text": "Hello"]

    @Test func adHocAddressOverLog() {
        let n = notification(["message": inline, "to": [["address": ["email": "alice@example.com"]]], "channels": ["log"]])
        let plan = planner.plan(input(n))
        #expect(plan.accepted.status == .true)
        #expect(plan.creates.count == 1)
        let d = plan.creates[0]
        #expect(d.spec["recipient"] == "alice@example.com")
        #expect(d.spec["address"]?["email"] == "alice@example.com")
        #expect(d.spec["channelType"] == "log")
        #expect(d.status.phase == .pending)
        #expect(d.status.nextAttemptTime == nil)
        let r = d.resource(owner: n)
        #expect(r.ownerReferences.first?.uid == "uid-n")
        #expect(r.ownerReferences.first?.controller == true)
        #expect(Validation.dns1123SubdomainProblem(r.name) == nil)
    }

    @Test func namesAreDeterministicAndRoundScoped() {
        let a = DeliveryName.make(notification: "welcome", recipientID: "recipient:ada", channel: "mail", round: 0)
        #expect(a == DeliveryName.make(notification: "welcome", recipientID: "recipient:ada", channel: "mail", round: 0))
        #expect(a != DeliveryName.make(notification: "welcome", recipientID: "recipient:ada", channel: "mail", round: 1))
        #expect(a.hasPrefix("welcome-") && a.hasSuffix("-0"))
        // Stored deliveries are found again by name: the hash must never change between versions.
        #expect(a == "welcome-13137ae78d-0")
        for name in [
            String(repeating: "a", count: 63), String(repeating: "b", count: 62) + "-c",
            Array(repeating: String(repeating: "d", count: 63), count: 4).joined(separator: "."), "x.y-",
        ] {
            let d = DeliveryName.make(notification: name, recipientID: "r", channel: "c", round: 12)
            #expect(d.utf8.count <= 253)
            #expect(Validation.dns1123SubdomainProblem(d) == nil, "\(d)")
        }
    }

    /// The names the joined-strings version made, byte for byte: stored Deliveries are found again
    /// by name, so writing them into one buffer must not change one.
    @Test func namesMatchTheJoinedStringsVersion() {
        func reference(_ notification: String, _ recipientID: String, _ channel: String, _ round: Int, _ redrive: Int) -> String {
            var v = DeliveryName.pairHash(recipientID, channel)
            var hash = ""
            for _ in 0..<10 {
                hash.append(Character(Unicode.Scalar(HexDigits.lowercase(UInt8(truncatingIfNeeded: v)))))
                v >>= 4
            }
            let suffix = "-\(hash)-\(round)" + (redrive > 0 ? "-r\(redrive)" : "")
            var head = Substring("")
            var last = Substring(notification)
            if let dot = notification.lastIndex(of: ".") {
                head = notification[...dot]
                last = notification[notification.index(after: dot)...]
            }
            last = last.prefix(max(1, 63 - suffix.count))
            while let c = last.last, c == "-" || c == "." { last = last.dropLast() }
            if last.isEmpty { last = "d" }
            if head.utf8.count + last.utf8.count + suffix.utf8.count > 253 { head = "" }
            return String(head) + last + suffix
        }
        let names = [
            "welcome", "a", "x.y-", "a.b.c", "-", ".", "a..b", String(repeating: "a", count: 63), String(repeating: "b", count: 62) + "-c",
            String(repeating: "e", count: 50) + "-----" + String(repeating: "f", count: 8),
            Array(repeating: String(repeating: "d", count: 63), count: 4).joined(separator: "."),
            Array(repeating: String(repeating: "g", count: 40), count: 6).joined(separator: "."),
        ]
        for name in names {
            for (round, redrive) in [(0, 0), (1, 0), (9, 9), (10, 10), (12, 3), (123_456, 0), (7, 10_000), (-3, 0), (Int.max, 1)] {
                for recipient in ["recipient:ada", "address:{\"email\":\"a@x.io\"}", ""] {
                    let made = DeliveryName.make(
                        notification: name, recipientID: recipient, channel: "mail", round: round, redrive: redrive)
                    #expect(made == reference(name, recipient, "mail", round, redrive), "\(name) \(round) \(redrive)")
                }
            }
        }
    }

    @Test func existingPairsAreNotPlannedAgain() {
        let n = notification(["message": inline, "to": [["address": ["email": "a@x.io"]]], "channels": ["log"]])
        let first = planner.plan(input(n))
        let existing = first.creates.map { $0.resource(owner: n) }
        let second = planner.plan(input(n, deliveries: existing))
        #expect(second.creates.isEmpty)
        #expect(second.cancels.isEmpty)
    }

    @Test func missingTemplateChannelRecipient() {
        let tpl = notification(["templateRef": ["name": "welcome"], "to": [["address": ["email": "a@x.io"]]], "channels": ["log"]])
        let p1 = planner.plan(input(tpl))
        #expect(p1.accepted.status == .false)
        #expect(p1.accepted.reason == "TemplateNotFound")
        #expect(p1.accepted.message.contains("\"welcome\""))
        #expect(p1.creates.isEmpty)

        let ch = notification(["message": inline, "to": [["address": ["email": "a@x.io"]]], "channels": ["log", "sms"]])
        let p2 = planner.plan(input(ch))
        #expect(p2.accepted.reason == "ChannelNotFound")
        #expect(p2.accepted.message.contains("\"sms\""))

        let rc = notification(["message": inline, "to": [["recipientRef": ["name": "ada"]]], "channels": ["log"]])
        let p3 = planner.plan(input(rc))
        #expect(p3.accepted.reason == "RecipientNotFound")
        // Recovers when the Recipient appears.
        let p4 = planner.plan(input(rc, recipients: [object("Recipient", "ada", ["email": "ada@x.io"])]))
        #expect(p4.accepted.status == .true)
        #expect(p4.creates.count == 1)
    }

    @Test func missingVariable() {
        let template = object(
            "Template", "welcome", ["variables": [["name": "name", "required": true]], "email": ["subject": "Hi {{name}}"]])
        let n = notification(["templateRef": ["name": "welcome"], "to": [["address": ["email": "a@x.io"]]], "channels": ["mail"]])
        let p = planner.plan(input(n, template: template, channels: [mailChannel]))
        #expect(p.accepted.reason == "MissingVariable")
        #expect(p.accepted.message.contains("\"name\""))
        var fixed = n
        fixed.spec?["variables"] = ["name": "Ada"]
        #expect(planner.plan(input(fixed, template: template, channels: [mailChannel])).accepted.status == .true)
    }

    @Test func templatePartMissingForTheChannelType() {
        let template = object("Template", "t", ["sms": ["text": "hi"]])
        let n = notification(["templateRef": ["name": "t"], "to": [["address": ["email": "a@x.io"]]], "channels": ["mail"]])
        #expect(planner.plan(input(n, template: template, channels: [mailChannel])).accepted.reason == "TemplatePartMissing")
    }

    @Test func selectorsRefsAndDedup() {
        let ada = object("Recipient", "ada", ["email": "ada@x.io"], labels: ["team": "sre"])
        let bob = object("Recipient", "bob", ["email": "bob@x.io"], labels: ["team": "sre"])
        let eve = object("Recipient", "eve", ["email": "eve@x.io"], labels: ["team": "dev"])
        let n = notification([
            "message": inline, "channels": ["mail"],
            "to": [["recipientRef": ["name": "ada"]], ["selector": ["matchLabels": ["team": "sre"]]]],
        ])
        let p = planner.plan(input(n, channels: [mailChannel], recipients: [ada, bob, eve]))
        #expect(p.creates.map { $0.spec["recipient"] } == ["ada", "bob"])
        #expect(p.creates.map { $0.spec["address"]?["email"] } == ["ada@x.io", "bob@x.io"])
    }

    @Test func selectorMatchingNobody() {
        let n = notification(["message": inline, "channels": ["log"], "to": [["selector": ["matchLabels": ["team": "none"]]]]])
        let p = planner.plan(input(n))
        #expect(p.accepted.reason == "NoRecipients")
        #expect(p.accepted.message.contains("spec.to[0].selector"))
    }

    @Test func optOutsBecomeSuppressed() {
        let ada = object(
            "Recipient", "ada", ["email": "ada@x.io", "preferences": ["optOut": ["channels": ["smtp"], "categories": ["marketing"]]]])
        let bob = object("Recipient", "bob", ["email": "bob@x.io", "preferences": ["optOut": ["categories": ["marketing"]]]])
        let n = notification([
            "message": inline, "channels": ["mail"], "category": "marketing",
            "to": [["recipientRef": ["name": "ada"]], ["recipientRef": ["name": "bob"]]],
        ])
        let p = planner.plan(input(n, channels: [mailChannel], recipients: [ada, bob]))
        #expect(p.creates.map(\.status.phase) == [.suppressed, .suppressed])
        #expect(p.creates.map(\.status.reason) == ["OptedOut", "OptedOut"])
        #expect(p.creates[0].status.lastError?.message.contains("smtp") == true)
        #expect(p.creates[1].status.lastError?.message.contains("marketing") == true)
    }

    @Test func missingAddressFailsThatPairOnly() {
        let ada = object("Recipient", "ada", ["phone": "+15550100"])
        let n = notification(["message": inline, "channels": ["mail"], "to": [["recipientRef": ["name": "ada"]]]])
        let p = planner.plan(input(n, channels: [mailChannel], recipients: [ada]))
        #expect(p.accepted.status == .true)
        #expect(p.creates.first?.status.phase == .failed)
        #expect(p.creates.first?.status.reason == "NoAddress")
    }

    @Test func quietHoursDelayNonHighPriority() {
        // 10:00Z is 11:00 in Paris (UTC+1 in November): inside 08:00–12:00.
        let ada = object(
            "Recipient", "ada",
            ["email": "ada@x.io", "timezone": "Europe/Paris", "preferences": ["quietHours": ["start": "08:00", "end": "12:00"]]])
        let n = notification(["message": inline, "channels": ["mail"], "to": [["recipientRef": ["name": "ada"]]]])
        let p = planner.plan(input(n, channels: [mailChannel], recipients: [ada]))
        #expect(p.creates.first?.status.nextAttemptTime == Timestamp.parse("2026-11-21T11:00:00Z"))
        #expect(p.creates.first?.status.reason == "QuietHours")
        var high = n
        high.spec?["priority"] = "high"
        #expect(planner.plan(input(high, channels: [mailChannel], recipients: [ada])).creates.first?.status.nextAttemptTime == nil)
    }

    @Test func quietHoursAcrossMidnight() {
        let zone = TimeZone(identifier: "UTC") ?? .current
        let q = QuietHours(start: "22:00", end: "07:00", timeZone: zone)
        let late = Timestamp.parse("2026-11-21T23:30:00Z") ?? Date()
        let early = Timestamp.parse("2026-11-22T06:00:00Z") ?? Date()
        #expect(q?.contains(late) == true)
        #expect(q?.endOfWindow(containing: late) == Timestamp.parse("2026-11-22T07:00:00Z"))
        #expect(q?.endOfWindow(containing: early) == Timestamp.parse("2026-11-22T07:00:00Z"))
        #expect(q?.contains(Timestamp.parse("2026-11-21T12:00:00Z") ?? Date()) == false)
    }

    @Test func notBeforeSchedules() {
        let n = notification([
            "message": inline, "channels": ["log"], "to": [["address": ["email": "a@x.io"]]],
            "notBefore": "2026-11-21T12:00:00Z",
        ])
        let p = planner.plan(input(n))
        #expect(p.creates.first?.status.nextAttemptTime == Timestamp.parse("2026-11-21T12:00:00Z"))
        #expect(p.creates.first?.status.reason == "Scheduled")
    }

    @Test func resendStartsANewRoundForEveryPair() {
        let spec: JSON = [
            "message": inline, "channels": ["log"], "to": [["address": ["email": "a@x.io"]], ["address": ["email": "b@x.io"]]],
        ]
        let n0 = notification(spec)
        let round0 = planner.plan(input(n0)).creates.map { $0.resource(owner: n0) }
        #expect(round0.count == 2)
        let n1 = notification(spec, annotations: [NotificationPlanner.resendAnnotation: "2026-11-21T10:05:00Z"])
        let p1 = planner.plan(input(n1, deliveries: round0))
        #expect(p1.round == 1)
        #expect(p1.creates.count == 2)
        #expect(p1.creates.allSatisfy { $0.spec["round"] == 1 && $0.resendAt == "2026-11-21T10:05:00Z" })
        #expect(p1.events.map(\.reason) == ["ResendRequested"])
        // The same value again: nothing new.
        let p2 = planner.plan(input(n1, deliveries: round0 + p1.creates.map { $0.resource(owner: n1) }))
        #expect(p2.round == 1)
        #expect(p2.creates.isEmpty)
    }

    @Test func removedPairsAreCanceled() {
        let n = notification([
            "message": inline, "channels": ["log"], "to": [["address": ["email": "a@x.io"]], ["address": ["email": "b@x.io"]]],
        ])
        var existing = planner.plan(input(n)).creates.map { $0.resource(owner: n) }
        existing[1].status = DeliveryStatus(phase: .delivered, attempts: 1).json
        var fewer = n
        fewer.spec?["to"] = []
        fewer.spec?["to"] = [["address": ["email": "c@x.io"]]]
        let p = planner.plan(input(fewer, deliveries: existing))
        #expect(p.creates.count == 1)
        #expect(p.cancels == [existing[0].name])
    }
}
