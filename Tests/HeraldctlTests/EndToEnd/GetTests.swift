import Foundation
import HeraldAPI
import Testing

@Suite("get", .timeLimit(.minutes(3)))
struct GetTests {
    /// Two labelled notifications and one without labels.
    func populate(_ box: Sandbox) async throws {
        let all = [
            box.notification("alpha", labels: ["team": "sre"]),
            box.notification("beta", channels: ["log", "mail"], labels: ["team": "web"]),
            box.notification("gamma"),
        ].joined(separator: "\n---\n")
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("all.yaml", all)]))
    }

    @Test func tablesFromTheServer() async throws {
        let box = try await Sandbox()
        try await populate(box)

        var r = try await box.ctl("get", "notifications")
        expectSuccess(r)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(r)")
        #expect(lines.first?.hasPrefix("NAME    PHASE") == true, "\(r)")
        #expect(lines.first?.hasSuffix("AGE") == true, "\(r)")
        #expect(lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) } == ["alpha", "beta", "gamma"])
        // Columns line up: every row's DELIVERED cell starts where the header's does.
        let column = try #require(lines.first?.range(of: "DELIVERED")).lowerBound.utf16Offset(in: lines[0])
        for line in lines.dropFirst() {
            let cell = line.dropFirst(column - 1).prefix(4)
            #expect(cell == " 0/0", "\(r)")
        }

        r = try await box.ctl("get", "notif", "-o", "wide")
        #expect(r.stdout.contains("CHANNELS"), "\(r)")
        #expect(r.stdout.contains("log,mail"), "\(r)")

        r = try await box.ctl("get", "notif", "beta")
        #expect(r.stdout.split(separator: "\n").count == 2, "\(r)")

        r = try await box.ctl("get", "notif", "-l", "team=sre")
        #expect(r.stdout.contains("alpha") && !r.stdout.contains("beta"), "\(r)")
        r = try await box.ctl("get", "notif", "-l", "team", "--show-labels")
        #expect(r.stdout.contains("LABELS") && r.stdout.contains("team=web") && !r.stdout.contains("gamma"), "\(r)")

        r = try await box.ctl("get", "notif", "--field-selector", "metadata.name=gamma")
        #expect(r.stdout.contains("gamma") && !r.stdout.contains("alpha"), "\(r)")
    }

    @Test func allNamespacesAddsTheNamespaceColumn() async throws {
        let box = try await Sandbox()
        try await populate(box)
        let r = try await box.ctl(["get", "notif", "-A", "-l", "team=sre"], namespaced: false)
        expectSuccess(r)
        #expect(r.stdout.hasPrefix("NAMESPACE"), "\(r)")
        #expect(r.stdout.contains(box.namespace) && r.stdout.contains("alpha"), "\(r)")
    }

    @Test func documentFormats() async throws {
        let box = try await Sandbox()
        try await populate(box)

        var r = try await box.ctl("get", "notif", "alpha", "-o", "yaml")
        expectSuccess(r)
        #expect(r.stdout.contains("kind: Notification\n"), "\(r)")
        #expect(r.stdout.contains("  name: alpha\n"), "\(r)")
        #expect(!r.stdout.contains("managedFields"), "\(r)")

        r = try await box.ctl("get", "notif", "-o", "json")
        let list = try JSON.parse(r.stdout)
        #expect(list["kind"] == "List" && list["apiVersion"] == "v1")
        #expect(list["items"]?.arrayValue?.count == 3)
        #expect(list["items"]?.arrayValue?.first?["kind"] == "Notification")

        r = try await box.ctl("get", "notif", "beta", "-o", "json")
        #expect(try JSON.parse(r.stdout)["metadata"]?["name"] == "beta")

        r = try await box.ctl("get", "notif", "-o", "name")
        #expect(r.stdout == "notification.herald.dev/alpha\nnotification.herald.dev/beta\nnotification.herald.dev/gamma\n")

        r = try await box.ctl("get", "notif", "-o", "jsonpath={.items[*].metadata.name}")
        #expect(r.stdout == "alpha beta gamma")
        r = try await box.ctl("get", "notif", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.channels[0]}{\"\\n\"}{end}")
        #expect(r.stdout == "alpha=log\nbeta=log\ngamma=log\n")
        r = try await box.ctl("get", "notif/alpha", "notif/beta", "-o", "name")
        #expect(r.stdout == "notification.herald.dev/alpha\nnotification.herald.dev/beta\n")

        r = try await box.ctl("get", "notif", "-o", "xml")
        expectFailure(r, stderrContains: "unable to match a printer suitable for the output format \"xml\"")
    }

    @Test func emptyAndMissing() async throws {
        let box = try await Sandbox()
        var r = try await box.ctl("get", "notif")
        expectSuccess(r)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "No resources found in \(box.namespace) namespace.\n")

        r = try await box.ctl("get", "notif", "nope")
        expectFailure(r, stderrContains: "Error from server (NotFound): notifications.herald.dev \"nope\" not found")

        r = try await box.ctl("get", "widgets")
        expectFailure(r, stderrContains: "error: the server doesn't have a resource type \"widgets\"")
    }

    @Test func watchPrintsChanges() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("a.yaml", box.notification("first"))]))
        let watch = try box.start(["get", "notif", "-w", "--request-timeout=8s"])
        #expect(await watch.waitForOutput { $0.contains("first") }, "initial list not printed: \(watch.stdout) \(watch.stderr)")
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("b.yaml", box.notification("second"))]))
        #expect(await watch.waitForOutput { $0.contains("second") }, "watch event not printed: \(watch.stdout) \(watch.stderr)")
        let r = await watch.wait(timeout: 30)
        // The server ends the watch after --request-timeout; like kubectl, that is a clean exit.
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("NAME") }.count == 1, "header printed once: \(r)")
        #expect(lines.contains { $0.hasPrefix("second") }, "\(r)")
    }
}
