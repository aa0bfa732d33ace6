import APIServer
import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import HummingbirdTesting
import Testing

let templates = "/apis/herald.dev/v1alpha1/namespaces/default/templates"
let recipients = "/apis/herald.dev/v1alpha1/namespaces/default/recipients"

func templateJSON(_ name: String, spec: String) -> String {
    #"{"apiVersion":"herald.dev/v1alpha1","kind":"Template","metadata":{"name":"\#(name)"},"spec":\#(spec)}"#
}

/// Template admission (Mustache syntax refused with its position) and the render preview.
@Suite struct TemplateAPITests {
    let welcome = #"""
        {"variables":[{"name":"name","required":true},{"name":"link","default":"https://example.com"}],
         "email":{"subject":"Welcome, {{name}}","text":"Hi {{name}}: {{link}}","html":"<p>Hi {{name}}</p>"},
         "sms":{"text":"Hi {{name}}"},
         "locales":{"fr":{"email":{"subject":"Bienvenue, {{name}}","text":"Bonjour {{name}}"}},
                    "de":{"email":{"subject":"Willkommen, {{recipient.name}} ({{recipient.email}})"}}}}
        """#

    /// The cause names the field and the message carries line and column.
    static func expectSyntaxError(
        _ reply: Reply, field: String, position: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(reply.status == 422, sourceLocation: sourceLocation)
        #expect(reply.json?["reason"] == "Invalid", sourceLocation: sourceLocation)
        let cause = reply.json?["details"]?["causes"]?.arrayValue?.first
        #expect(cause?["field"]?.stringValue == field, sourceLocation: sourceLocation)
        #expect(cause?["reason"] == "FieldValueInvalid", sourceLocation: sourceLocation)
        let message = cause?["message"]?.stringValue ?? ""
        #expect(message.contains(position), "\(message)", sourceLocation: sourceLocation)
    }

    @Test func syntaxErrorRefusedOnCreate() async throws {
        try await TestAPI().run { client in
            let bad = try await client.send(
                .post, templates, templateJSON("bad", spec: #"{"email":{"subject":"ok","html":"<p>\n{{#vip}}VIP</p>"}}"#))
            Self.expectSyntaxError(bad, field: "spec.email.html", position: "line 2")
            let locale = try await client.send(
                .post, templates,
                templateJSON("bad2", spec: #"{"email":{"subject":"ok"},"locales":{"fr":{"email":{"subject":"Salut {{name"}}}}"#))
            Self.expectSyntaxError(locale, field: "spec.locales.fr.email.subject", position: "line 1, column")
            // Nothing was stored, dry run or not.
            let dry = try await client.send(
                .post, "\(templates)?dryRun=All", templateJSON("bad3", spec: #"{"sms":{"text":"{{/x}}"}}"#))
            Self.expectSyntaxError(dry, field: "spec.sms.text", position: "line 1")
            #expect(try await client.send(.get, "\(templates)/bad").status == 404)
            #expect(try await client.send(.post, templates, templateJSON("good", spec: welcome)).status == 201)
        }
    }

    @Test func syntaxErrorRefusedOnUpdatePatchAndApply() async throws {
        try await TestAPI().run { client in
            #expect(try await client.send(.post, templates, templateJSON("t", spec: welcome)).status == 201)
            let put = try await client.send(
                .put, "\(templates)/t", templateJSON("t", spec: #"{"chat":{"text":"line one\n{{name}"}}"#))
            Self.expectSyntaxError(put, field: "spec.chat.text", position: "line 2")
            let merge = try await client.send(
                .patch, "\(templates)/t", #"{"spec":{"push":{"title":"{{#a}}x"}}}"#, contentType: "application/merge-patch+json")
            Self.expectSyntaxError(merge, field: "spec.push.title", position: "line 1")
            let apply = try await client.send(
                .patch, "\(templates)/t?fieldManager=test&force=true",
                templateJSON("t", spec: #"{"webhook":{"body":"{\"a\":\"{{x}}\"}"},"email":{"subject":"{{#s}}{{/t}}"}}"#),
                contentType: "application/apply-patch+yaml")
            Self.expectSyntaxError(apply, field: "spec.email.subject", position: "line 1, column")
            let applyDry = try await client.send(
                .patch, "\(templates)/new?fieldManager=test&dryRun=All",
                templateJSON("new", spec: #"{"sms":{"text":"{{x"}}"#), contentType: "application/apply-patch+yaml")
            Self.expectSyntaxError(applyDry, field: "spec.sms.text", position: "line 1")
            // The stored object is untouched.
            let got = try await client.send(.get, "\(templates)/t")
            #expect(got.json?["spec"]?["chat"] == nil)
            #expect(got.json?["metadata"]?["generation"] == 1)
        }
    }

    @Test func renderDiscovery() async throws {
        try await TestAPI().run { client in
            let list = try await client.send(.get, "/apis/herald.dev/v1alpha1")
            let render = list.json?["resources"]?.arrayValue?.first { $0["name"] == "templates/render" }
            #expect(render?["kind"] == "TemplateRender")
            #expect(render?["verbs"] == ["create"])
            let aggregated = try await client.send(
                .get, "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
            let resources = aggregated.json?["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["resources"]?.arrayValue
            let tpl = resources?.first { $0["resource"] == "templates" }
            let subs = tpl?["subresources"]?.arrayValue?.compactMap { $0["subresource"]?.stringValue }
            #expect(subs == ["status", "render"])
            #expect(try await client.send(.get, "\(templates)/t/render").status == 405)
        }
    }

    @Test func renderEveryPart() async throws {
        try await TestAPI().run { client in
            #expect(try await client.send(.post, templates, templateJSON("welcome", spec: welcome)).status == 201)
            let reply = try await client.send(.post, "\(templates)/welcome/render", #"{"variables":{"name":"Ada <3"}}"#)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json?["kind"] == "TemplateRender")
            #expect(reply.json?["metadata"]?["name"] == "welcome")
            let parts = reply.json?["status"]?["parts"]
            #expect(parts?["email"]?["subject"] == "Welcome, Ada <3")
            #expect(parts?["email"]?["html"] == "<p>Hi Ada &lt;3</p>")
            #expect(parts?["email"]?["text"] == "Hi Ada <3: https://example.com")
            #expect(parts?["sms"]?["text"] == "Hi Ada <3")
            #expect(parts?["email"]?["locale"] == nil)
            let digest = parts?["email"]?["renderedDigest"]?.stringValue ?? ""
            #expect(digest.hasPrefix("sha256:") && digest.count == 71)
        }
    }

    @Test func renderLocaleFallback() async throws {
        try await TestAPI().run { client in
            #expect(try await client.send(.post, templates, templateJSON("welcome", spec: welcome)).status == 201)
            let frCA = try await client.send(
                .post, "\(templates)/welcome/render", #"{"variables":{"name":"Ada"},"locale":"fr-CA","channelType":"email"}"#)
            #expect(frCA.json?["status"]?["locale"] == "fr")
            #expect(frCA.json?["status"]?["requestedLocale"] == "fr-CA")
            #expect(frCA.json?["status"]?["parts"]?["email"]?["subject"] == "Bienvenue, Ada")
            #expect(frCA.json?["status"]?["parts"]?["email"]?["html"] == nil)  // the variant replaces the part whole
            let es = try await client.send(
                .post, "\(templates)/welcome/render", #"{"spec":{"variables":{"name":"Ada"},"locale":"es","channelType":"smtp"}}"#)
            #expect(es.json?["status"]?["locale"] == nil)
            #expect(es.json?["status"]?["parts"]?["email"]?["subject"] == "Welcome, Ada")
            #expect(es.json?["status"]?["parts"]?["email"]?["channelType"] == "smtp")
            // A part name or a channel type; anything else is refused.
            let sms = try await client.send(
                .post, "\(templates)/welcome/render", #"{"variables":{"name":"Ada"},"locale":"fr","channelType":"twilio"}"#)
            #expect(sms.json?["status"]?["parts"]?["sms"]?["text"] == "Hi Ada")
            #expect(frCA.json?["status"]?["parts"]?["email"]?["channelType"] == nil)
            let wrong = try await client.send(.post, "\(templates)/welcome/render", #"{"channelType":"pigeon"}"#)
            #expect(wrong.status == 422)
            #expect(wrong.json?["details"]?["causes"]?.arrayValue?.first?["field"] == "spec.channelType")
        }
    }

    @Test func renderWithRecipient() async throws {
        try await TestAPI().run { client in
            #expect(try await client.send(.post, templates, templateJSON("welcome", spec: welcome)).status == 201)
            let ada = #"""
                {"apiVersion":"herald.dev/v1alpha1","kind":"Recipient","metadata":{"name":"ada"},
                 "spec":{"email":"ada@example.com","locale":"de-AT"}}
                """#
            #expect(try await client.send(.post, recipients, ada).status == 201)
            let reply = try await client.send(
                .post, "\(templates)/welcome/render", #"{"variables":{"name":"Ada"},"recipient":"ada","channelType":"email"}"#)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json?["status"]?["requestedLocale"] == "de-AT")
            #expect(reply.json?["status"]?["locale"] == "de")
            #expect(reply.json?["status"]?["parts"]?["email"]?["subject"] == "Willkommen, ada (ada@example.com)")
            // Without the recipient, recipient.* is missing.
            let noRecipient = try await client.send(
                .post, "\(templates)/welcome/render", #"{"variables":{"name":"Ada"},"locale":"de","channelType":"email"}"#)
            #expect(noRecipient.status == 422)
            let unknown = try await client.send(.post, "\(templates)/welcome/render", #"{"recipient":"bob"}"#)
            #expect(unknown.status == 404)
            #expect(unknown.json?["message"] == "recipients.herald.dev \"bob\" not found")
        }
    }

    @Test func renderMissingVariableAndUnknownTemplate() async throws {
        try await TestAPI().run { client in
            #expect(try await client.send(.post, templates, templateJSON("welcome", spec: welcome)).status == 201)
            let missing = try await client.send(.post, "\(templates)/welcome/render", #"{"channelType":"email"}"#)
            #expect(missing.status == 422)
            #expect(missing.json?["reason"] == "Invalid")
            let cause = missing.json?["details"]?["causes"]?.arrayValue?.first
            #expect(cause?["field"] == "spec.variables.name")
            #expect(cause?["reason"] == "FieldValueRequired")
            #expect(missing.json?["message"]?.stringValue?.contains("\"name\"") == true)
            let unknown = try await client.send(.post, "\(templates)/nope/render", "{}")
            #expect(unknown.status == 404)
            #expect(unknown.json?["message"] == "templates.herald.dev \"nope\" not found")
        }
    }
}
