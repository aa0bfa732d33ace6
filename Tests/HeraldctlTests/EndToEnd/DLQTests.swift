import Foundation
import HeraldAPI
import Testing

@Suite("dlq list, show and redrive")
struct DLQTests {
    /// A Delivery of notification `n` with the given status, written as the controller would
    /// (these tests run `herald apiserver` alone).
    func delivery(
        _ box: Sandbox, _ name: String, notification: String = "welcome", recipient: String = "ada", channel: String = "hooks",
        status: String
    ) async throws {
        let manifest = """
            apiVersion: herald.dev/v1alpha1
            kind: Delivery
            metadata:
              name: \(name)
            spec:
              notification: \(notification)
              recipient: \(recipient)
              channel: \(channel)
              channelType: webhook
              address: {url: "https://ada.example.com/hook"}
              round: 0
            """
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("\(name).yaml", manifest)]))
        expectSuccess(
            try await box.ctl("patch", "delivery", name, "--subresource=status", "--type=merge", "-p", #"{"status":\#(status)}"#))
    }

    static let failed =
        #"{"phase":"Failed","attempts":6,"reason":"AttemptsExhausted","lastAttemptTime":"2026-01-01T00:00:00Z","failedTime":"2026-01-01T00:00:05Z","lastError":{"class":"transient","code":"HTTP503","message":"upstream unavailable"}}"#
    static let permanent =
        #"{"phase":"Failed","attempts":1,"reason":"PermanentFailure","failedTime":"2026-01-01T00:00:05Z","lastError":{"class":"permanent","code":"HTTP400","message":"bad request"}}"#
    static let delivered = #"{"phase":"Delivered","attempts":1}"#

    func populate(_ box: Sandbox) async throws {
        try await delivery(box, "welcome-ada-0", status: Self.failed)
        try await delivery(box, "welcome-bob-0", recipient: "bob", status: Self.delivered)
        try await delivery(box, "promo-cy-0", notification: "promo", recipient: "cy", channel: "mail", status: Self.permanent)
    }

    @Test func listShowsOnlyFailedDeliveries() async throws {
        let box = try await Sandbox()
        try await populate(box)

        var r = try await box.ctl("dlq", "list")
        expectSuccess(r)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(r)")
        #expect(
            lines.first?.split(separator: " ", omittingEmptySubsequences: true)
                == ["NAME", "NOTIFICATION", "RECIPIENT", "CHANNEL", "ATTEMPTS", "REASON", "CODE", "LAST-ERROR", "FAILED"], "\(r)")
        #expect(lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) } == ["promo-cy-0", "welcome-ada-0"], "\(r)")
        #expect(r.stdout.contains("AttemptsExhausted") && r.stdout.contains("HTTP503") && r.stdout.contains("upstream unavailable"), "\(r)")
        #expect(!r.stdout.contains("welcome-bob-0"), "\(r)")

        r = try await box.ctl("dlq", "list", "--notification", "welcome", "-o", "name")
        #expect(r.stdout == "delivery.herald.dev/welcome-ada-0\n", "\(r)")
        r = try await box.ctl("dlq", "list", "--channel", "mail", "-o", "name")
        #expect(r.stdout == "delivery.herald.dev/promo-cy-0\n", "\(r)")

        r = try await box.ctl("dlq", "list", "-o", "wide")
        #expect(r.stdout.contains("CLASS") && r.stdout.contains("transient") && r.stdout.contains("permanent"), "\(r)")

        r = try await box.ctl("dlq", "list", "-o", "json")
        let list = try JSON.parse(Array(r.stdout.utf8))
        #expect(list["kind"] == "List")
        #expect(list["items"]?.arrayValue?.count == 2)

        r = try await box.ctl(["dlq", "list", "-A", "--notification", "promo"], namespaced: false)
        #expect(r.stdout.hasPrefix("NAMESPACE"), "\(r)")
        #expect(r.stdout.contains(box.namespace) && r.stdout.contains("promo-cy-0"), "\(r)")

        r = try await box.ctl("dlq", "list", "--notification", "nothing-failed")
        expectSuccess(r)
        #expect(r.stdout.isEmpty && r.stderr.contains("No dead letters found in \(box.namespace) namespace."), "\(r)")
    }

    @Test func showPrintsTheWholeDeadLetterWithItsEvents() async throws {
        let box = try await Sandbox()
        try await populate(box)
        let uid = try await box.ctl("get", "delivery", "welcome-ada-0", "-o", "jsonpath={.metadata.uid}").stdout
        let event = """
            apiVersion: v1
            kind: Event
            metadata:
              name: welcome-ada-0.1
            involvedObject:
              apiVersion: herald.dev/v1alpha1
              kind: Delivery
              name: welcome-ada-0
              namespace: \(box.namespace)
              uid: \(uid)
            reason: AttemptsExhausted
            message: "6 of 6 attempts failed; last: HTTP503"
            type: Warning
            source:
              component: herald-controller
            firstTimestamp: "2026-01-01T00:00:05Z"
            lastTimestamp: "2026-01-01T00:00:05Z"
            count: 1
            """
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("e.yaml", event)]))

        let r = try await box.ctl("dlq", "show", "welcome-ada-0")
        expectSuccess(r)
        let out = r.stdout
        #expect(out.hasPrefix("Name:"), "\(r)")
        #expect(out.contains("Notification:     welcome"), "\(r)")
        #expect(out.contains("Channel:          hooks (webhook)"), "\(r)")
        #expect(out.contains("Address:          url=https://ada.example.com/hook"), "\(r)")
        #expect(out.contains("Idempotency Key:  \(uid)-0"), "\(r)")
        #expect(out.contains("Attempts:         6"), "\(r)")
        #expect(out.contains("Failed:           2026-01-01T00:00:05Z"), "\(r)")
        #expect(out.contains("Last Error:\n  Class:    transient\n  Code:     HTTP503\n  Message:  upstream unavailable"), "\(r)")
        #expect(out.contains("Events:") && out.contains("Warning  AttemptsExhausted"), "\(r)")

        expectFailure(
            try await box.ctl("dlq", "show", "nope"),
            stderrContains: "error: dead letter \"nope\" not found in namespace \"\(box.namespace)\"")
        expectFailure(
            try await box.ctl("dlq", "show", "welcome-bob-0"),
            stderrContains: "error: delivery \"welcome-bob-0\" is Delivered, not a dead letter")
    }

    @Test func redriveRecordsTheRequestAndWho() async throws {
        let box = try await Sandbox()
        try await populate(box)

        var r = try await box.ctl("dlq", "redrive", "welcome-ada-0", "--as", "alice")
        expectSuccess(r)
        #expect(r.stdout == "delivery.herald.dev/welcome-ada-0 redrive requested by alice\n", "\(r)")
        r = try await box.ctl("get", "delivery", "welcome-ada-0", "-o", "json")
        let annotations = try JSON.parse(Array(r.stdout.utf8))["metadata"]?["annotations"]
        #expect(annotations?[DeliveryRedrive.requestedByAnnotation] == "alice", "\(r)")
        let at = annotations?[DeliveryRedrive.requestedAtAnnotation]?.stringValue ?? ""
        #expect(Timestamp.parse(at) != nil, "\(r)")

        // Without --as, the requester is $USER@host (the sandbox has no config context).
        r = try await box.ctl("dlq", "redrive", "promo-cy-0")
        expectSuccess(r)
        #expect(r.stdout.hasPrefix("delivery.herald.dev/promo-cy-0 redrive requested by ") && r.stdout.contains("@"), "\(r)")

        // With a config context in use, its user is the requester.
        expectSuccess(try await box.ctl(["config", "set-context", "ops-desk", "--server", box.server], namespaced: false))
        expectSuccess(try await box.ctl(["config", "use-context", "ops-desk"], namespaced: false))
        r = try await box.ctl("dlq", "redrive", "promo-cy-0")
        #expect(r.stdout == "delivery.herald.dev/promo-cy-0 redrive requested by ops-desk\n", "\(r)")

        // Refusals: not a dead letter, unknown, already redriven; the good name still goes through.
        expectFailure(
            try await box.ctl("dlq", "redrive", "welcome-bob-0"),
            stderrContains: "error: delivery \"welcome-bob-0\" is Delivered: only Failed deliveries (dead letters) can be redriven")
        r = try await box.ctl("dlq", "redrive", "missing", "welcome-ada-0", "--as", "bob")
        expectFailure(r, stderrContains: "error: dead letter \"missing\" not found")
        #expect(r.stdout.contains("welcome-ada-0 redrive requested by bob"), "\(r)")

        expectSuccess(
            try await box.ctl(
                "patch", "delivery", "promo-cy-0", "-p",
                #"{"metadata":{"labels":{"herald.dev/redriven":"true"},"annotations":{"herald.dev/redriven-to":"promo-cy-0-r1"}}}"#))
        expectFailure(
            try await box.ctl("dlq", "redrive", "promo-cy-0"),
            stderrContains: "error: delivery \"promo-cy-0\" was already redriven as promo-cy-0-r1")
        r = try await box.ctl("dlq", "list", "-o", "name")
        #expect(r.stdout == "delivery.herald.dev/welcome-ada-0\n", "redriven ones are left out: \(r)")
        r = try await box.ctl("dlq", "list", "--include-redriven", "-o", "wide")
        #expect(r.stdout.contains("promo-cy-0") && r.stdout.contains("redriven as promo-cy-0-r1"), "\(r)")
    }

    @Test func redriveAllAndItsUsageErrors() async throws {
        let box = try await Sandbox()
        try await populate(box)

        var r = try await box.ctl("dlq", "redrive", "--all", "--dry-run")
        expectSuccess(r)
        #expect(
            r.stdout
                == "delivery.herald.dev/promo-cy-0 would be redriven (dry run)\ndelivery.herald.dev/welcome-ada-0 would be redriven (dry run)\n",
            "\(r)")
        r = try await box.ctl("get", "delivery", "welcome-ada-0", "-o", "jsonpath={.metadata.annotations}")
        #expect(!r.stdout.contains("redrive-requested"), "dry run changed nothing: \(r)")

        r = try await box.ctl("dlq", "redrive", "--all", "--notification", "promo", "--as", "carol")
        #expect(r.stdout == "delivery.herald.dev/promo-cy-0 redrive requested by carol\n", "\(r)")

        expectFailure(
            try await box.ctl("dlq", "redrive"), status: 64, stderrContains: "name at least one dead letter to redrive, or use --all")
        expectFailure(try await box.ctl("dlq", "redrive", "x", "--all"), status: 64, stderrContains: "not both")
        expectFailure(
            try await box.ctl("dlq", "redrive", "x", "--notification", "n"), status: 64, stderrContains: "--notification goes with --all")
    }
}
