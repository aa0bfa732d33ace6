import Foundation
import Testing

@Suite("render")
struct RenderTests {
    let template = """
        apiVersion: herald.dev/v1alpha1
        kind: Template
        metadata: {name: welcome}
        spec:
          variables: [{name: name, required: true}]
          email: {subject: "Welcome, {{name}}", text: "Hi {{name}}\\nSee you", html: "<p>{{name}}</p>"}
          sms: {text: "Hi {{name}}"}
          locales:
            fr: {email: {subject: "Bienvenue, {{name}}", text: "Bonjour {{recipient.email}}"}}
        ---
        apiVersion: herald.dev/v1alpha1
        kind: Recipient
        metadata: {name: ada}
        spec: {email: ada@example.com, locale: fr-CA}
        """

    @Test func readableOutputAndFormats() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("t.yaml", template)]))

        var r = try await box.ctl("render", "welcome", "--var", "name=Ada")
        expectSuccess(r)
        #expect(r.stdout.contains("Template:  \(box.namespace)/welcome"), "\(r)")
        #expect(r.stdout.contains("== email (locale: default)"), "\(r)")
        #expect(r.stdout.contains("subject:   Welcome, Ada"), "\(r)")
        #expect(r.stdout.contains("text:\n  | Hi Ada\n  | See you"), "\(r)")
        #expect(r.stdout.contains("html:      <p>Ada</p>"), "\(r)")
        #expect(r.stdout.contains("== sms (locale: default)\ntext:      Hi Ada"), "\(r)")
        #expect(r.stdout.contains("digest:    sha256:"), "\(r)")

        r = try await box.ctl("render", "template/welcome", "--var", "name=Ada", "--recipient", "ada", "--channel-type", "email")
        expectSuccess(r)
        #expect(r.stdout.contains("Locale:    fr-CA"), "\(r)")
        #expect(r.stdout.contains("== email (locale: fr)\nsubject:   Bienvenue, Ada\ntext:      Bonjour ada@example.com"), "\(r)")
        #expect(!r.stdout.contains("== sms"), "\(r)")

        r = try await box.ctl("render", "welcome", "--var", "name=Ada", "--locale", "fr", "--channel-type", "sms", "-o", "json")
        expectSuccess(r)
        #expect(r.stdout.contains("\"kind\": \"TemplateRender\""), "\(r)")
        #expect(r.stdout.contains("\"text\": \"Hi Ada\""), "\(r)")

        r = try await box.ctl("render", "welcome", "--var", "name=Ada", "-o", "yaml")
        expectSuccess(r)
        #expect(r.stdout.contains("kind: TemplateRender"), "\(r)")
    }

    @Test func clearErrors() async throws {
        let box = try await Sandbox()
        expectSuccess(try await box.ctl(["apply", "-f", try box.write("t.yaml", template)]))
        var r = try await box.ctl("render", "welcome")
        expectFailure(r, stderrContains: "The TemplateRender \"welcome\" is invalid: spec.variables.name: Required value")
        #expect(r.stderr.contains("declares \"name\" required"), "\(r)")
        r = try await box.ctl("render", "nope", "--var", "name=x")
        expectFailure(r, stderrContains: "templates.herald.dev \"nope\" not found")
        r = try await box.ctl("render", "welcome", "--var", "name")
        expectFailure(r, stderrContains: "error: --var takes KEY=VALUE, not \"name\"")
        r = try await box.ctl("render", "welcome", "--var", "name=x", "-o", "wide")
        expectFailure(r, stderrContains: "allowed formats are: json, yaml")
        r = try await box.ctl("render", "welcome", "--var", "name=x", "--channel-type", "pigeon")
        expectFailure(r, stderrContains: "spec.channelType")
    }

    @Test func syntaxErrorOnApply() async throws {
        let box = try await Sandbox()
        let broken = """
            apiVersion: herald.dev/v1alpha1
            kind: Template
            metadata: {name: broken}
            spec:
              email: {subject: "Hi {{#vip}}there"}
            """
        let r = try await box.ctl(["apply", "-f", try box.write("b.yaml", broken)])
        expectFailure(r, stderrContains: "The Template \"broken\" is invalid")
        #expect(r.stderr.contains("spec.email.subject"), "\(r)")
        #expect(r.stderr.contains("line 1, column"), "\(r)")
    }
}
