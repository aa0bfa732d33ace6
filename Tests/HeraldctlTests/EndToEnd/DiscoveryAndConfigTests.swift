import Foundation
import HeraldAPI
import Testing

@Suite("api-resources, explain, version, config", .timeLimit(.minutes(3)))
struct DiscoveryAndConfigTests {
    @Test func apiResources() async throws {
        let box = try await Sandbox()
        var r = try await box.ctl(["api-resources"], namespaced: false)
        expectSuccess(r)
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], "\(r)")
        #expect(rows.contains(["notifications", "notif", "herald.dev/v1alpha1", "true", "Notification"]), "\(r)")
        #expect(rows.contains(["channels", "ch", "herald.dev/v1alpha1", "true", "Channel"]), "\(r)")
        #expect(rows.contains(["events", "ev", "v1", "true", "Event"]), "\(r)")

        r = try await box.ctl(["api-resources", "--api-group=herald.dev", "-o", "name"], namespaced: false)
        #expect(r.stdout.split(separator: "\n").contains("notifications.herald.dev"), "\(r)")
        #expect(!r.stdout.contains("events"), "\(r)")
    }

    @Test func explain() async throws {
        let box = try await Sandbox()
        var r = try await box.ctl(["explain", "notifications"], namespaced: false)
        expectSuccess(r)
        #expect(r.stdout.hasPrefix("GROUP:      herald.dev\nKIND:       Notification\nVERSION:    v1alpha1\n\nDESCRIPTION:\n"), "\(r)")
        #expect(r.stdout.contains("FIELDS:\n"), "\(r)")
        #expect(r.stdout.contains("  spec\t<Object> -required-\n"), "\(r)")
        #expect(r.stdout.contains("  metadata\t<"), "\(r)")

        r = try await box.ctl(["explain", "notif.spec.priority"], namespaced: false)
        expectSuccess(r)
        #expect(r.stdout.contains("FIELD: priority <string>\nENUM:\n    low\n    normal\n    high\n"), "\(r)")

        r = try await box.ctl(["explain", "notification.spec.to.recipientRef"], namespaced: false)
        expectSuccess(r)
        #expect(r.stdout.contains("FIELD: recipientRef <Object>"), "\(r)")

        r = try await box.ctl(["explain", "channel", "--recursive"], namespaced: false)
        #expect(r.stdout.contains("      url\t<string>"), "\(r)")

        r = try await box.ctl(["explain", "notification.spec.colour"], namespaced: false)
        expectFailure(r, stderrContains: "error: field \"colour\" does not exist")
    }

    @Test func version() async throws {
        let box = try await Sandbox()
        var r = try await box.ctl(["version"], namespaced: false)
        expectSuccess(r)
        #expect(r.stdout.hasPrefix("Client Version: v"), "\(r)")
        #expect(r.stdout.contains("Server Version: v1.32"), "\(r)")
        r = try await box.ctl(["version", "-o", "json"], namespaced: false)
        let doc = try JSON.parse(r.stdout)
        #expect(doc["serverVersion"]?["major"] == "1")
        r = try await box.ctl(["version", "--client", "--server", "http://127.0.0.1:1"], namespaced: false)
        expectSuccess(r)
    }

    @Test func configContexts() async throws {
        let box = try await Sandbox()
        // No HERALD_SERVER in these runs: everything comes from the config file.
        func run(_ args: String...) async throws -> CommandResult {
            try await box.ctl(args, namespaced: false, useServer: false)
        }
        var r = try await run("config", "current-context")
        expectFailure(r, stderrContains: "error: current-context is not set")

        r = try await run("config", "set-context", "dev", "--server", box.server, "--namespace", box.namespace, "--token", "s3cret")
        expectSuccess(r)
        #expect(r.stdout == "Context \"dev\" created.\n")
        r = try await run("config", "set-context", "prod", "--server", "http://127.0.0.1:1")
        #expect(r.stdout == "Context \"prod\" created.\n")
        r = try await run("config", "set-context", "dev", "--namespace", box.namespace)
        #expect(r.stdout == "Context \"dev\" modified.\n")

        r = try await run("config", "use-context", "dev")
        #expect(r.stdout == "Switched to context \"dev\".\n")
        r = try await run("config", "current-context")
        #expect(r.stdout == "dev\n")
        r = try await run("config", "get-contexts")
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(
            rows == [
                ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"], ["*", "dev", "dev", "dev", box.namespace],
                ["prod", "prod", "prod"],
            ], "\(r)")

        r = try await run("config", "view")
        #expect(r.stdout.contains("token: REDACTED") && !r.stdout.contains("s3cret"), "\(r)")
        r = try await run("config", "view", "--raw")
        #expect(r.stdout.contains("token: s3cret"), "\(r)")
        let attributes = try FileManager.default.attributesOfItem(atPath: box.configPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // The context's server and namespace are used.
        expectSuccess(try await run("apply", "-f", try box.write("n.yaml", box.notification("via-context"))))
        r = try await run("get", "notif", "-o", "name")
        #expect(r.stdout == "notification.herald.dev/via-context\n", "\(r)")
        // --context picks another one; HERALD_SERVER and --server override the file.
        r = try await run("get", "notif", "--context", "prod")
        expectFailure(r, stderrContains: "The connection to the server 127.0.0.1:1 was refused")
        r = try await run("get", "notif", "--context", "prod", "--server", box.server, "-n", box.namespace, "-o", "name")
        #expect(r.stdout == "notification.herald.dev/via-context\n", "\(r)")

        r = try await run("config", "use-context", "nope")
        expectFailure(r, stderrContains: "error: no context exists with the name: \"nope\"")
    }
}
