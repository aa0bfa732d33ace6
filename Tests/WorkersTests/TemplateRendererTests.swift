import HeraldAPI
import Testing

@testable import Workers

@Suite struct TemplateRendererTests {
    /// The digest a Delivery's status shows: SHA-256 (FIPS 180-2 test vector), lowercase hex.
    @Test func renderedDigestIsSHA256InLowercaseHex() {
        #expect(
            RenderedMessage.digest(of: Array("abc".utf8))
                == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            RenderedMessage.digest(of: [UInt8]())
                == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    let welcome: JSON = [
        "variables": [["name": "name", "required": true], ["name": "link"]],
        "email": ["subject": "Welcome, {{name}}", "text": "Hi {{name}}, start here: {{link}}", "html": "<p>Hi {{name}}</p>"],
        "push": ["title": "Welcome", "body": "Hi {{name}}", "data": ["screen": "home", "who": "{{name}}", "n": 3]],
        "sms": ["text": "Hi {{name}}"],
        "chat": ["text": "Welcome *{{name}}*"],
        "webhook": ["body": #"{"event":"welcome","name":"{{name}}"}"#],
        "locales": [
            "fr": [
                "email": ["subject": "Bienvenue, {{name}}", "text": "Bonjour {{name}}"],
                "push": ["title": "Bienvenue", "body": "Salut {{name}}"],
            ],
            "fr-CA": ["sms": ["text": "Allô {{name}}"]],
        ],
    ]

    let renderer = TemplateRenderer()

    @Test func rendersEveryPartWithItsEscaping() throws {
        let vars: JSON = ["name": "Ada <&> \"Lovelace\"", "link": "https://x/?a=1&b=2"]
        let email = try renderer.render(welcome, channelType: "smtp", variables: vars, locale: nil)
        #expect(email.subject == "Welcome, Ada <&> \"Lovelace\"")
        #expect(email.text == "Hi Ada <&> \"Lovelace\", start here: https://x/?a=1&b=2")
        #expect(email.html == "<p>Hi Ada &lt;&amp;&gt; &quot;Lovelace&quot;</p>")
        let hook = try renderer.render(welcome, channelType: "webhook", variables: vars, locale: nil)
        let parsed = try JSON.parse(hook.body ?? "")
        #expect(parsed["name"]?.stringValue == "Ada <&> \"Lovelace\"")
        let push = try renderer.render(welcome, channelType: "fcm", variables: vars, locale: nil)
        #expect(push.data == ["screen": "home", "who": "Ada <&> \"Lovelace\"", "n": 3])
        #expect(try renderer.render(welcome, channelType: "slack", variables: vars, locale: nil).text == "Welcome *Ada <&> \"Lovelace\"*")
        #expect(try renderer.render(welcome, channelType: "twilio", variables: vars, locale: nil).text == "Hi Ada <&> \"Lovelace\"")
    }

    @Test func leadingNewlineAndPositionsSurviveThePragma() throws {
        let t: JSON = ["sms": ["text": "\nline2 {{x}}"]]
        #expect(try renderer.render(t, part: "sms", variables: ["x": 1], locale: nil).text == "\nline2 1")
    }

    @Test func localeFallbackChain() throws {
        let vars: JSON = ["name": "Ada"]
        let frCA = try renderer.render(welcome, channelType: "smtp", variables: vars, locale: "fr-CA")
        #expect(frCA.locale == "fr")
        #expect(frCA.subject == "Bienvenue, Ada")
        // The fr variant has no html: no English HTML is mixed into a French email.
        #expect(frCA.html == nil)
        #expect(try renderer.render(welcome, channelType: "twilio", variables: vars, locale: "fr_ca").text == "Allô Ada")
        #expect(try renderer.render(welcome, channelType: "twilio", variables: vars, locale: "fr").text == "Hi Ada")
        let de = try renderer.render(welcome, channelType: "smtp", variables: vars, locale: "de-DE")
        #expect(de.locale == nil && de.subject == "Welcome, Ada")
        // push.data is not language: the fr variant inherits it.
        let push = try renderer.render(welcome, channelType: "webpush", variables: vars, locale: "fr-FR")
        #expect(push.title == "Bienvenue" && push.data?["screen"] == "home")
        #expect(LocaleChain.chain(for: "zh_Hant_TW") == ["zh-Hant-TW", "zh-Hant", "zh"])
    }

    @Test func localeChainReadsUnderscoresAndIgnoresCaseWhenMatching() {
        #expect(LocaleChain.chain(for: "pt-BR") == ["pt-BR", "pt"])
        #expect(LocaleChain.chain(for: "sr_Latn-RS") == ["sr-Latn-RS", "sr-Latn", "sr"])
        #expect(LocaleChain.chain(for: "fr--CA") == ["fr-CA", "fr"])
        #expect(LocaleChain.chain(for: "") == [] && LocaleChain.chain(for: "_") == [] && LocaleChain.chain(for: nil) == [])
        #expect(LocaleChain.candidates("FR-ca", in: ["de", "fr_CA", "fr"]) == ["fr_CA", "fr"])
        #expect(LocaleChain.candidates("pt_br", in: ["PT", "es"]) == ["PT"])
        #expect(LocaleChain.candidates("ja", in: ["ja-JP"]) == [])
        #expect(LocaleChain.candidates("en", in: [String]()) == [])
    }

    @Test func missingVariablesAreRefusedNotRenderedEmpty() {
        let t: JSON = [
            "variables": [["name": "opt"], ["name": "tier", "default": "gold"]],
            "email": ["subject": "Hi {{name}} {{opt}} {{tier}}", "text": "{{#items}}- {{label}} {{unit}}\n{{/items}}{{user.email}}"],
        ]
        let vars: JSON = ["name": "Ada", "items": [["label": "a"]], "user": ["id": 1]]
        #expect(throws: TemplateError.missingVariables([MissingVariable(name: "unit", field: "email.text")])) {
            try renderer.render(t, part: "email", variables: vars, locale: nil)
        }
        let missing = TemplateAnalysis.missingVariables(template: welcome, variables: [:], channelTypes: ["smtp", "slack"], locale: nil)
        #expect(missing.map(\.name).contains("name"))
        #expect(missing.contains(MissingVariable(name: "name", field: "variables")))
        // A declared, not required variable renders empty; sections only test presence.
        let ok = TemplateAnalysis.missingVariables(
            template: ["variables": [["name": "link"]], "sms": ["text": "{{#vip}}VIP {{/vip}}{{^vip}}std{{/vip}} {{link}}"]],
            variables: [:], channelTypes: ["twilio"], locale: nil)
        #expect(ok.isEmpty)
        let dotted = TemplateAnalysis.missingVariables(
            template: ["sms": ["text": "{{user.name}} {{uppercased(who)}}"]], variables: [:], channelTypes: ["twilio"], locale: nil)
        #expect(dotted.map(\.name) == ["user.name", "who"])
    }

    @Test func variableUsageListsWhatATemplateNeeds() {
        let t: JSON = [
            "variables": [["name": "tier", "default": "gold"], ["name": "id", "required": true]],
            "email": ["subject": "{{name}} {{tier}}", "text": "{{#link}}{{link}} {{inner}}{{/link}}{{^vip}}{{fallback}}{{/vip}}"],
            "locales": ["fr": ["sms": ["text": "{{prenom}}"]]],
        ]
        let usage = TemplateAnalysis.variableUsage(of: t)
        #expect(usage.required == ["fallback", "id", "name", "prenom"])
        #expect(usage.optional == ["link", "tier", "vip"])
    }

    @Test func syntaxErrorsCarryFieldAndPosition() {
        let t: JSON = ["email": ["subject": "ok {{name}}", "text": "line one\nline {{#a}} two", "html": "<p>{{name}</p>"]]
        let problems = TemplateAnalysis.syntaxProblems(in: t)
        #expect(problems.count == 2)
        let text = problems.first { $0.field == "email.text" }
        #expect(text?.line == 2)
        let html = problems.first { $0.field == "email.html" }
        #expect(html?.line == 1)
        #expect((html?.column ?? 0) > 1)
        #expect(html?.description.contains("email.html at line 1") == true)
        #expect(throws: TemplateError.self) { try renderer.render(t, part: "email", variables: ["name": "x"], locale: nil) }
    }

    @Test func unclosedTagAtTheEndIsWordedForPeople() {
        let problems = TemplateAnalysis.syntaxProblems(in: ["locales": ["fr": ["sms": ["text": "Salut {{name"]]]])
        #expect(problems.first?.field == "locales.fr.sms.text")
        #expect(problems.first?.reason == "tag not closed before the end of the text (expected }})")
    }

    @Test func engineMatchesTheRenderer() throws {
        let engine = MustacheTemplateEngine(renderer: renderer)
        let t: JSON = ["webhook": ["body": #"{"name":"{{name}}"}"#], "sms": ["text": "{{#a}}"]]
        #expect(engine.syntaxErrors(in: t).map(\.field) == ["sms.text"])
        let ok: JSON = ["webhook": ["body": #"{"name":"{{name}}"}"#]]
        let preview = try engine.render(ok, channelType: "webhook", variables: ["name": "a\"b\n"], locale: nil)
        let direct = try renderer.render(ok, channelType: "webhook", variables: ["name": "a\"b\n"], locale: nil)
        #expect(preview.fields["body"] == #"{"name":"a\"b\n"}"#)
        #expect(preview.digest == direct.digest)
        #expect(throws: TemplateRenderIssue.self) { try engine.render(ok, part: "webhook", variables: .emptyObject, locale: nil) }
    }

    @Test func recipientVariablesAreOffered() throws {
        let t: JSON = ["email": ["subject": "Hi {{recipient.name}} <{{recipient.email}}>"]]
        let vars = RecipientVariables.merged(
            ["x": 1], name: "ada", address: ["email": "ada@example.com"], locale: "fr", timezone: nil)
        #expect(try renderer.render(t, channelType: "smtp", variables: vars, locale: nil).subject == "Hi ada <ada@example.com>")
        // The notification's own `recipient` wins.
        let own = RecipientVariables.merged(["recipient": "me"], name: "ada", address: .emptyObject, locale: nil, timezone: nil)
        #expect(own == ["recipient": "me"])
    }

    @Test func partMissingAndLogFallback() throws {
        let t: JSON = ["chat": ["text": "hello {{name}}"]]
        #expect(throws: TemplateError.partMissing(part: "sms", channelType: "twilio")) {
            try renderer.render(t, channelType: "twilio", variables: ["name": "a"], locale: nil)
        }
        #expect(try renderer.render(t, channelType: "log", variables: ["name": "a"], locale: nil).text == "hello a")
        #expect(try renderer.render(t, channelType: "webhook", variables: ["name": "a"], locale: nil).part == "chat")
        #expect(try renderer.render(["variables": []], channelType: "webhook", variables: [:], locale: nil).part == "")
    }

    @Test func digestIsStableAndCoversContent() throws {
        let a = try renderer.render(welcome, channelType: "smtp", variables: ["name": "Ada"], locale: nil)
        let b = try renderer.render(welcome, channelType: "smtp", variables: ["name": "Ada"], locale: nil)
        let c = try renderer.render(welcome, channelType: "smtp", variables: ["name": "Bob"], locale: nil)
        #expect(a.digest == b.digest && a.digest != c.digest)
        #expect(a.digest.hasPrefix("sha256:") && a.digest.count == 7 + 64)
        // FIPS 180-2's "abc" vector, written as lowercase hex with leading zeros kept.
        #expect(
            RenderedMessage.digest(of: Array("abc".utf8))
                == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func inlineMessageServesEveryChannel() throws {
        let t = TemplateContent.fromInlineMessage(["subject": "S {{x}}", "text": "T {{x}}", "body": "{\"x\":\"{{x}}\"}"])
        #expect(try renderer.render(t, channelType: "smtp", variables: ["x": 1], locale: nil).subject == "S 1")
        #expect(try renderer.render(t, channelType: "twilio", variables: ["x": 1], locale: nil).text == "T 1")
        #expect(try renderer.render(t, channelType: "webhook", variables: ["x": 1], locale: nil).body == "{\"x\":\"1\"}")
    }
}
