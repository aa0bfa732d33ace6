import HeraldAPI
import Testing

@testable import heraldctl

@Suite("render pieces")
struct RenderPieceTests {
    @Test func requestFromFlags() throws {
        let body = try Render.request(
            variables: ["name=Ada", "user.email=a@x.io", "eq=a=b"], locale: "fr", recipient: nil, channelType: "email")
        #expect(body["kind"] == "TemplateRender")
        #expect(body["spec"]?["variables"] == ["name": "Ada", "user": ["email": "a@x.io"], "eq": "a=b"])
        #expect(body["spec"]?["locale"] == "fr")
        #expect(body["spec"]?["recipient"] == nil)
        #expect(throws: CLIError.self) { try Render.request(variables: ["=x"], locale: nil, recipient: nil, channelType: nil) }
        #expect(throws: CLIError.self) { try Render.request(variables: ["a..b=x"], locale: nil, recipient: nil, channelType: nil) }
        #expect(try Render.templateName("tpl/welcome") == "welcome")
        #expect(throws: CLIError.self) { try Render.templateName("notification/x") }
    }

    @Test func textLabelsEveryField() {
        let answer: JSON = [
            "metadata": ["name": "w", "namespace": "default"],
            "status": [
                "requestedLocale": "fr-CA",
                "parts": [
                    "push": ["part": "push", "title": "T", "body": "B", "data": ["k": "v"], "renderedDigest": "sha256:1"],
                    "email": ["part": "email", "locale": "fr", "subject": "S", "text": "a\nb", "renderedDigest": "sha256:2"],
                ],
            ],
        ]
        #expect(
            RenderPrinter.text(answer) == """
                Template:  default/w
                Locale:    fr-CA

                == email (locale: fr)
                subject:   S
                text:
                  | a
                  | b
                digest:    sha256:2

                == push (locale: default)
                title:     T
                body:      B
                data:      {"k":"v"}
                digest:    sha256:1

                """)
    }
}
