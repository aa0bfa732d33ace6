import Foundation
import HeraldAPI
import Testing

@Suite("apply and diff against a real server", .timeLimit(.minutes(3)))
struct ApplyTests {
    @Test func clientSideApplyCreatesThenUnchangedThenConfigured() async throws {
        let box = try await Sandbox()
        let file = try box.write("n.yaml", box.notification("welcome", extraSpec: "  category: news"))

        var r = try await box.ctl("apply", "-f", file)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/welcome created\n")

        r = try await box.ctl("apply", "-f", file)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/welcome unchanged\n")

        // The last-applied annotation is kubectl's, so kubectl could take over.
        r = try await box.ctl("get", "notif", "welcome", "-o", "json")
        let live = try JSON.parse(r.stdout)
        let annotation = try #require(live["metadata"]?["annotations"]?["kubectl.kubernetes.io/last-applied-configuration"]?.stringValue)
        #expect(annotation.hasSuffix("}\n"))
        #expect(annotation.contains("\"namespace\":\"\(box.namespace)\""))

        // Change a list and drop a field: both reach the server.
        try box.write("n.yaml", box.notification("welcome", channels: ["log", "mail"]))
        r = try await box.ctl("apply", "-f", file)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/welcome configured\n")
        r = try await box.ctl("get", "notif", "welcome", "-o", "jsonpath={.spec.channels[*]}|{.spec.category}|{.metadata.generation}")
        #expect(r.stdout == "log mail||2")
    }

    @Test func serverSideApplyAndConflicts() async throws {
        let box = try await Sandbox()
        let file = try box.write("n.yaml", box.notification("ssa", extraSpec: "  priority: low"))

        var r = try await box.ctl("apply", "--server-side", "-f", file)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/ssa serverside-applied\n")

        // Another manager takes a field...
        r = try await box.ctl("patch", "notif", "ssa", "--type=merge", "-p", #"{"spec":{"priority":"high"}}"#)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/ssa patched\n")

        // ...so applying a different value for it conflicts, with kubectl's advice.
        try box.write("n.yaml", box.notification("ssa", extraSpec: "  priority: normal"))
        r = try await box.ctl("apply", "--server-side", "-f", file)
        expectFailure(r, stderrContains: "Apply failed with 1 conflict")
        #expect(r.stderr.contains("--force-conflicts"), "\(r)")
        #expect(r.stderr.contains(".spec.priority"), "\(r)")

        r = try await box.ctl("apply", "--server-side", "--force-conflicts", "-f", file)
        expectSuccess(r)
        r = try await box.ctl("get", "notif", "ssa", "-o", "jsonpath={.spec.priority}")
        #expect(r.stdout == "normal")

        // --force-conflicts without --server-side is a usage error.
        r = try await box.ctl("apply", "--force-conflicts", "-f", file)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--force-conflicts only works with --server-side"), "\(r)")
    }

    @Test func dryRunsStoreNothing() async throws {
        let box = try await Sandbox()
        let file = try box.write("n.yaml", box.notification("dry"))

        var r = try await box.ctl("apply", "--dry-run=server", "-f", file)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/dry created (server dry run)\n")
        r = try await box.ctl("apply", "--dry-run=client", "-f", file)
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/dry created (dry run)\n")
        r = try await box.ctl("get", "notif", "dry")
        expectFailure(r, stderrContains: "Error from server (NotFound): notifications.herald.dev \"dry\" not found")

        r = try await box.ctl("apply", "-f", file)
        expectSuccess(r)
        try box.write("n.yaml", box.notification("dry", channels: ["mail"]))
        r = try await box.ctl("apply", "--dry-run=server", "-f", file)
        #expect(r.stdout == "notification.herald.dev/dry configured (server dry run)\n", "\(r)")
        r = try await box.ctl("get", "notif", "dry", "-o", "jsonpath={.spec.channels[*]} {.metadata.generation}")
        #expect(r.stdout == "log 1")

        // Server-side apply dry runs, on an object of its own (the server reports conflicts with
        // the client-side apply manager, unlike Kubernetes, which hands those fields over).
        let ssaFile = try box.write("s.yaml", box.notification("dry-ssa"))
        r = try await box.ctl("apply", "--server-side", "--dry-run=server", "-f", ssaFile)
        #expect(r.stdout == "notification.herald.dev/dry-ssa serverside-applied (server dry run)\n", "\(r)")
        expectFailure(try await box.ctl("get", "notif", "dry-ssa"), stderrContains: "NotFound")
        expectSuccess(try await box.ctl("apply", "--server-side", "-f", ssaFile))
        try box.write("s.yaml", box.notification("dry-ssa", channels: ["mail"]))
        r = try await box.ctl("apply", "--server-side", "--dry-run=server", "-f", ssaFile)
        #expect(r.stdout == "notification.herald.dev/dry-ssa serverside-applied (server dry run)\n", "\(r)")
        r = try await box.ctl("get", "notif", "dry-ssa", "-o", "jsonpath={.spec.channels[*]} {.metadata.generation}")
        #expect(r.stdout == "log 1")

        r = try await box.ctl("apply", "--dry-run=sometimes", "-f", file)
        expectFailure(r, stderrContains: "Invalid dry-run value")
    }

    @Test func diffExitCodes() async throws {
        let box = try await Sandbox()
        let file = try box.write("n.yaml", box.notification("diffed"))

        // New object: everything is an addition.
        var r = try await box.ctl("diff", "-f", file)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("+++ MERGED/herald.dev.v1alpha1.Notification.\(box.namespace).diffed"), "\(r)")
        #expect(r.stdout.contains("+kind: Notification"), "\(r)")

        expectSuccess(try await box.ctl("apply", "-f", file))
        r = try await box.ctl("diff", "-f", file)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        r = try await box.ctl("diff", "--server-side", "-f", file)
        #expect(r.status == 0, "\(r)")

        try box.write("n.yaml", box.notification("diffed", channels: ["mail"]))
        r = try await box.ctl("diff", "-f", file)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("-  - log"), "\(r)")
        #expect(r.stdout.contains("+  - mail"), "\(r)")
        #expect(r.stdout.contains("-  generation: 1") && r.stdout.contains("+  generation: 2"), "\(r)")
        // The diff was a dry run.
        r = try await box.ctl("get", "notif", "diffed", "-o", "jsonpath={.spec.channels[*]}")
        #expect(r.stdout == "log")

        r = try await box.ctl("diff", "-f", box.directory.appendingPathComponent("missing.yaml").path)
        expectFailure(r, status: 2, stderrContains: "does not exist")
    }

    @Test func stdinDirectoriesAndRecursion() async throws {
        let box = try await Sandbox()
        var r = try await box.ctl(["apply", "-f", "-"], stdin: box.notification("from-stdin"))
        expectSuccess(r)
        #expect(r.stdout == "notification.herald.dev/from-stdin created\n")

        try box.write("dir/a.yaml", box.notification("dir-a"))
        try box.write("dir/sub/b.yml", box.notification("dir-b") + "\n---\n" + box.notification("dir-c"))
        try box.write("dir/notes.txt", "not a manifest")
        let dir = box.directory.appendingPathComponent("dir").path
        r = try await box.ctl("apply", "-f", dir)
        #expect(r.stdout == "notification.herald.dev/dir-a created\n", "\(r)")
        r = try await box.ctl("apply", "-f", dir, "-R")
        #expect(
            r.stdout
                == "notification.herald.dev/dir-a unchanged\nnotification.herald.dev/dir-b created\nnotification.herald.dev/dir-c created\n",
            "\(r)")

        // JSON manifests work too.
        let json = #"{"apiVersion":"herald.dev/v1alpha1","kind":"Channel","metadata":{"name":"json-ch"},"spec":{"type":"log"}}"#
        r = try await box.ctl(["apply", "-f", try box.write("c.json", json)])
        #expect(r.stdout == "channel.herald.dev/json-ch created\n", "\(r)")
    }

    @Test func namespaceMismatchIsRefused() async throws {
        let box = try await Sandbox()
        let manifest = box.notification("ns-mismatch").replacingOccurrences(
            of: "  name: ns-mismatch", with: "  name: ns-mismatch\n  namespace: elsewhere")
        let r = try await box.ctl(["apply", "-f", try box.write("n.yaml", manifest)])
        expectFailure(
            r, stderrContains: "the namespace from the provided object \"elsewhere\" does not match the namespace \"\(box.namespace)\"")
    }
}
