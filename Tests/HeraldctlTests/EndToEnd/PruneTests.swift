import Foundation
import Testing

@Suite("apply --prune", .timeLimit(.minutes(3)))
struct PruneTests {
    @Test func pruneDeletesAppliedObjectsThatLeftTheFiles() async throws {
        let box = try await Sandbox()
        let labels = ["app": "prune-test"]
        try box.write("set/a.yaml", box.notification("keep-a", labels: labels))
        let bFile = try box.write("set/b.yaml", box.notification("gone-b", labels: labels))
        let dir = box.directory.appendingPathComponent("set").path
        var r = try await box.ctl("apply", "-f", dir, "--prune", "-l", "app=prune-test")
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/keep-a created\nnotification.herald.dev/gone-b created\n", "\(r)")

        // Same label, applied elsewhere: also apply's, so also pruned when not in the files.
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("c.yaml", box.notification("gone-c", labels: labels))]))
        // Same label but created by server-side apply: no last-applied annotation, never pruned.
        expectSuccess(
            try await box.ctl(["apply", "--server-side", "-f", try box.write("d.yaml", box.notification("ssa-d", labels: labels))]))
        // Other label: out of the selector.
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("e.yaml", box.notification("other-e", labels: ["app": "x"]))]))

        try FileManager.default.removeItem(atPath: bFile)
        r = try await box.ctl("apply", "-f", dir, "--prune", "-l", "app=prune-test", "--dry-run=server")
        expectSuccess(r)
        #expect(r.stdout.contains("notification.herald.dev/gone-b pruned (server dry run)"), "\(r)")
        r = try await box.ctl("get", "notif", "gone-b", "-o", "name")
        expectSuccess(r)

        r = try await box.ctl("apply", "-f", dir, "--prune", "-l", "app=prune-test")
        expectSuccess(r)
        #expect(
            r.stdout
                == "notification.herald.dev/keep-a unchanged\nnotification.herald.dev/gone-b pruned\nnotification.herald.dev/gone-c pruned\n",
            "\(r)")
        r = try await box.ctl("get", "notif", "-o", "name")
        #expect(r.stdout == "notification.herald.dev/keep-a\nnotification.herald.dev/other-e\nnotification.herald.dev/ssa-d\n", "\(r)")

        r = try await box.ctl("apply", "-f", dir, "--prune")
        expectFailure(r, stderrContains: "all resources selected for prune without explicitly passing --all")
    }
}
