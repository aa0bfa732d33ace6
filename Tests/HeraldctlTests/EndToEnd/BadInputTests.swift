import Foundation
import Testing

@Suite("bad input gives clear errors", .timeLimit(.minutes(3)))
struct BadInputTests {
    @Test func malformedYAML() async throws {
        let box = try await Sandbox()
        let file = try box.write("bad.yaml", "apiVersion: herald.dev/v1alpha1\nkind: Notification\nmetadata: {name: x\nspec: [\n")
        let r = try await box.ctl("apply", "-f", file)
        expectFailure(r, stderrContains: "error: error parsing \(file)")
    }

    @Test func missingFile() async throws {
        let box = try await Sandbox()
        let r = try await box.ctl("apply", "-f", "/nonexistent/notif.yaml")
        expectFailure(r, stderrContains: "error: the path \"/nonexistent/notif.yaml\" does not exist")
    }

    @Test func unknownKinds() async throws {
        let box = try await Sandbox()
        let file = try box.write("w.yaml", "apiVersion: herald.dev/v1alpha1\nkind: Widget\nmetadata: {name: w}\n")
        var r = try await box.ctl("apply", "-f", file)
        expectFailure(r, stderrContains: "no matches for kind \"Widget\" in version \"herald.dev/v1alpha1\"")
        r = try await box.ctl("delete", "widgets", "w")
        expectFailure(r, stderrContains: "the server doesn't have a resource type \"widgets\"")
        let noKind = try box.write("k.yaml", "apiVersion: herald.dev/v1alpha1\nmetadata: {name: w}\n")
        r = try await box.ctl("apply", "-f", noKind)
        expectFailure(r, stderrContains: "kind not set")
    }

    @Test func serverSideValidation() async throws {
        let box = try await Sandbox()
        let invalid = box.notification("bad-priority", extraSpec: "  priority: urgent")
        var r = try await box.ctl(["apply", "-f", try box.write("i.yaml", invalid)])
        expectFailure(r, stderrContains: "The Notification \"bad-priority\" is invalid")
        #expect(r.stderr.contains("spec.priority"), "\(r)")

        let unknownField = box.notification("colourful", extraSpec: "  colour: red")
        r = try await box.ctl(["apply", "-f", try box.write("u.yaml", unknownField)])
        expectFailure(r, stderrContains: "Error from server (BadRequest)")
        #expect(r.stderr.contains("colour"), "\(r)")
        // --validate=warn lets it through with a warning.
        r = try await box.ctl(["apply", "--validate=warn", "-f", try box.write("u.yaml", unknownField)])
        expectSuccess(r)
        #expect(r.stderr.contains("Warning:") && r.stderr.contains("colour"), "\(r)")

        // One bad object does not stop the others; the exit status still says it failed.
        let mixed = box.notification("good-one") + "\n---\n" + invalid
        r = try await box.ctl(["apply", "-f", try box.write("m.yaml", mixed)])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout == "notification.herald.dev/good-one created\n", "\(r)")
    }

    @Test func unreachableServer() async throws {
        let box = try await Sandbox()
        let r = try await box.ctl(["get", "notif", "--server", "http://127.0.0.1:1"], namespaced: false)
        expectFailure(r, stderrContains: "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?")
    }

    @Test func usageErrors() async throws {
        let box = try await Sandbox()
        var r = try await box.ctl("get")
        expectFailure(r, stderrContains: "You must specify the type of resource to get")
        r = try await box.ctl("wait", "notif/x", "--for=ready")
        expectFailure(r, stderrContains: "unrecognized condition")
        r = try await box.ctl("apply")
        expectFailure(r, stderrContains: "must specify one of -f")
    }
}
