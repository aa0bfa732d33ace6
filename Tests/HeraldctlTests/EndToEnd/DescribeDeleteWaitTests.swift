import Foundation
import HeraldAPI
import Testing

@Suite("describe, delete and wait", .timeLimit(.minutes(3)))
struct DescribeDeleteWaitTests {
    /// Writes status through the status subresource, as the controller would.
    func setStatus(_ box: Sandbox, _ name: String, _ status: String) async throws {
        let r = try await box.ctl("patch", "notif", name, "--subresource=status", "--type=merge", "-p", #"{"status":\#(status)}"#)
        expectSuccess(r)
    }

    @Test func describeShowsSpecStatusTablesAndEvents() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("n.yaml", box.notification("described", labels: ["team": "sre"]))]))
        try await setStatus(
            box, "described",
            #"{"observedGeneration":1,"phase":"Delivering","deliveries":{"total":3,"pending":1,"delivered":2,"retrying":0,"failed":0,"suppressed":0,"expired":0},"conditions":[{"type":"Accepted","status":"True","reason":"Resolved","message":"all resolved","lastTransitionTime":"2025-01-01T00:00:00Z"},{"type":"Delivered","status":"False","reason":"InProgress","message":"2/3 delivered","lastTransitionTime":"2025-01-01T00:00:00Z"}]}"#
        )
        let uid = try await box.ctl("get", "notif", "described", "-o", "jsonpath={.metadata.uid}").stdout
        let event = """
            apiVersion: v1
            kind: Event
            metadata:
              name: described.1
            involvedObject:
              apiVersion: herald.dev/v1alpha1
              kind: Notification
              name: described
              namespace: \(box.namespace)
              uid: \(uid)
            reason: DeliverySent
            message: Delivered to ada@example.com via log
            type: Normal
            source:
              component: herald-controller
            firstTimestamp: "2025-01-01T00:00:00Z"
            lastTimestamp: "2025-01-01T00:00:10Z"
            count: 2
            """
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("e.yaml", event)]))

        let r = try await box.ctl("describe", "notification", "described")
        expectSuccess(r)
        let out = r.stdout
        #expect(out.hasPrefix("Name:         described\nNamespace:    \(box.namespace)\nLabels:       team=sre\n"), "\(r)")
        #expect(out.contains("Annotations:  <none>"), "last-applied is hidden: \(r)")
        #expect(out.contains("API Version:  herald.dev/v1alpha1"), "\(r)")
        #expect(out.contains("Spec:\n  Channels:\n    log\n"), "\(r)")
        #expect(out.contains("  Deliveries:\n    Total  Pending  Delivered"), "\(r)")
        #expect(out.contains("    3      1        2"), "\(r)")
        #expect(out.contains("    Type       Status  Reason      Age"), "\(r)")
        #expect(out.contains("    Delivered  False   InProgress"), "\(r)")
        #expect(out.contains("Events:\n  Type    Reason        Age"), "\(r)")
        #expect(out.contains("Normal  DeliverySent") && out.contains("(x2 over") && out.contains("herald-controller"), "\(r)")

        let missing = try await box.ctl("describe", "notif", "nope")
        expectFailure(missing, stderrContains: "Error from server (NotFound)")
    }

    @Test func deleteByNameFileSelectorAndAll() async throws {
        let box = try await Sandbox()
        let file = try box.write(
            "all.yaml",
            [
                box.notification("d1"), box.notification("d2", labels: ["batch": "x"]),
                box.notification("d3", labels: ["batch": "x"]), box.notification("d4"), box.notification("d5"),
            ].joined(separator: "\n---\n"))
        expectSuccess(try await box.ctl("apply", "-f", file))

        var r = try await box.ctl("delete", "notif", "d1")
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev \"d1\" deleted\n")
        expectFailure(try await box.ctl("get", "notif", "d1"), stderrContains: "NotFound")

        r = try await box.ctl("delete", "notif", "-l", "batch=x")
        #expect(r.stdout == "notification.herald.dev \"d2\" deleted\nnotification.herald.dev \"d3\" deleted\n", "\(r)")

        let single = try box.write("d4.yaml", box.notification("d4"))
        r = try await box.ctl("delete", "-f", single)
        #expect(r.stdout == "notification.herald.dev \"d4\" deleted\n", "\(r)")

        r = try await box.ctl("delete", "notif", "--all")
        #expect(r.stdout == "notification.herald.dev \"d5\" deleted\n", "\(r)")
        r = try await box.ctl("get", "notif")
        #expect(r.stderr.contains("No resources found"), "\(r)")

        r = try await box.ctl("delete", "notif", "ghost")
        expectFailure(r, stderrContains: "Error from server (NotFound): notifications.herald.dev \"ghost\" not found")
        r = try await box.ctl("delete", "notif", "ghost", "--ignore-not-found")
        expectSuccess(r)
        #expect(r.stdout.isEmpty)

        r = try await box.ctl("delete", "notif")
        expectFailure(r, stderrContains: "no name was specified")
    }

    @Test func deleteWaitsForFinalizers() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("n.yaml", box.notification("held"))]))
        expectSuccess(
            try await box.ctl("patch", "notif", "held", "--type=merge", "-p", #"{"metadata":{"finalizers":["test.herald.dev/hold"]}}"#))

        // A bounded wait gives up with kubectl's message while the finalizer holds.
        var r = try await box.ctl("delete", "notif", "held", "--timeout=1s")
        expectFailure(r, stderrContains: "timed out waiting for the condition on notifications/held")
        #expect(r.stdout == "notification.herald.dev \"held\" deleted\n", "\(r)")

        // An unbounded one returns once the finalizer is removed.
        let deleting = try box.start(["delete", "notif", "held"])
        try await Task.sleep(for: .seconds(1))
        #expect(deleting.process.isRunning, "delete returned while the finalizer was still there: \(deleting.stdout)")
        expectSuccess(try await box.ctl("patch", "notif", "held", "--type=merge", "-p", #"{"metadata":{"finalizers":null}}"#))
        r = await deleting.wait(timeout: 30)
        expectSuccess(r)
        expectFailure(try await box.ctl("get", "notif", "held"), stderrContains: "NotFound")
    }

    @Test func waitForConditionRespectsObservedGeneration() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("n.yaml", box.notification("waited"))]))

        let waiting = try box.start(["wait", "--for=condition=TestDelivered", "notif/waited", "--timeout=30s"])
        try await Task.sleep(for: .milliseconds(500))
        try await setStatus(
            box, "waited", #"{"conditions":[{"type":"TestDelivered","status":"True","reason":"Sent","observedGeneration":1}]}"#)
        var r = await waiting.wait(timeout: 40)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/waited condition met\n", "\(r)")

        // Already met: returns at once; the other value does not match.
        r = try await box.ctl("wait", "--for=condition=testdelivered=true", "notif", "waited", "--timeout=5s")
        expectSuccess(r)
        r = try await box.ctl("wait", "--for=condition=TestDelivered=False", "notif", "waited", "--timeout=1s")
        expectFailure(r, stderrContains: "error: timed out waiting for the condition on notifications/waited")

        // A spec change makes the condition stale until the controller reports generation 2.
        try box.write("n.yaml", box.notification("waited", channels: ["mail"]))
        expectSuccess(try await box.ctl("apply", "-f", box.directory.appendingPathComponent("n.yaml").path))
        r = try await box.ctl("wait", "--for=condition=TestDelivered", "notif/waited", "--timeout=1s")
        expectFailure(r, stderrContains: "timed out waiting for the condition on notifications/waited")
        try await setStatus(
            box, "waited", #"{"conditions":[{"type":"TestDelivered","status":"True","reason":"Sent","observedGeneration":2}]}"#)
        r = try await box.ctl("wait", "--for=condition=TestDelivered", "notif/waited", "--timeout=5s")
        expectSuccess(r)

        r = try await box.ctl("wait", "--for=jsonpath={.spec.channels[0]}=mail", "notif/waited", "--timeout=5s")
        expectSuccess(r)

        r = try await box.ctl("wait", "--for=condition=TestDelivered", "notif/absent", "--timeout=1s")
        expectFailure(r, stderrContains: "Error from server (NotFound)")
    }

    @Test func waitForDelete() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("n.yaml", box.notification("doomed"))]))
        let waiting = try box.start(["wait", "--for=delete", "notif/doomed", "--timeout=30s"])
        try await Task.sleep(for: .milliseconds(500))
        expectSuccess(try await box.ctl("delete", "notif", "doomed", "--wait=false"))
        let r = await waiting.wait(timeout: 40)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/doomed condition met\n", "\(r)")

        // Nothing to wait for.
        expectSuccess(try await box.ctl("wait", "--for=delete", "notif/doomed", "--timeout=1s"))
    }
}
