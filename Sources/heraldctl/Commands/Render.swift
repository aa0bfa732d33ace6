import ArgumentParser
import HeraldAPI

/// `heraldctl render`: previews a Template through the server's `templates/{name}/render`
/// subresource, rendered exactly as a worker would send it; nothing is sent.
struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview a Template rendered with variables, a locale and a recipient (nothing is sent).",
        discussion: """
            Examples:
              heraldctl render welcome --var name=Ada --var link=https://example.com
              heraldctl render welcome --var name=Ada --locale fr-CA --channel-type email
              heraldctl render welcome --var name=Ada --recipient ada -o yaml
            --channel-type takes a part (email, push, sms, chat, webhook) or a channel type (smtp,
            webhook, slack, webpush, fcm, apns, twilio, log); without it every part is rendered.
            With --recipient, the Recipient's locale (unless --locale is given) and its name and
            address ({{recipient.name}}, {{recipient.email}}, ...) are used.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The Template's name (TEMPLATE or template/TEMPLATE).")
    var template: String

    @Option(name: .customLong("var"), help: "A variable as KEY=VALUE (repeatable; a dotted KEY nests: user.name=Ada).")
    var variables: [String] = []

    @Option(help: "Locale to render for, e.g. fr or fr-CA (falls back fr-CA → fr → default).")
    var locale: String?

    @Option(help: "A Recipient whose locale, name and address to use.")
    var recipient: String?

    @Option(name: .customLong("channel-type"), help: "Render only this part or channel type.")
    var channelType: String?

    @Option(name: .shortAndLong, help: "Output format: yaml or json (default: readable text).")
    var output: String?

    func run() async throws {
        let format = try Render.format(output)
        let body = try Render.request(
            variables: variables, locale: locale, recipient: recipient, channelType: channelType)
        let name = try Render.templateName(template)
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let path =
                "/apis/herald.dev/v1alpha1/namespaces/\(URLEncoding.encode(session.namespace))/templates/\(URLEncoding.encode(name))/render"
            let answer: JSON
            do throws(CLIError) {
                answer = try await session.client.request(.POST, path, contentType: "application/json", body: body)
            } catch {
                // A 404 naming the subresource (not the template) means the server has no renderer.
                if case .server(let status, _) = error, status.code == 404, status.message.contains("templates/render") {
                    throw CLIError.message("the server does not offer template previews (templates/render); upgrade it")
                }
                throw error
            }
            if let format {
                Console.out(ObjectPrinter.render(answer, format: format))
            } else {
                Console.out(RenderPrinter.text(answer))
            }
        }
    }

    static func format(_ text: String?) throws(CLIError) -> OutputFormat? {
        guard let text, !text.isEmpty else { return nil }
        switch text {
        case "yaml": return .yaml
        case "json": return .json
        default: throw .message("unable to match a printer suitable for the output format \"\(text)\", allowed formats are: json, yaml")
        }
    }

    static func templateName(_ typed: String) throws(CLIError) -> String {
        let parts = typed.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, ["template", "templates", "tpl", "template.herald.dev", "templates.herald.dev"].contains(parts[0]) {
            return String(parts[1])
        }
        guard parts.count == 1, !typed.isEmpty else {
            throw .message("expected a Template name (TEMPLATE or template/TEMPLATE), not \"\(typed)\"")
        }
        return typed
    }

    /// The `TemplateRender` body from the flags.
    static func request(variables: [String], locale: String?, recipient: String?, channelType: String?) throws(CLIError) -> JSON {
        var vars: JSON = .emptyObject
        for assignment in variables {
            guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
                throw .message("--var takes KEY=VALUE, not \"\(assignment)\"")
            }
            let key = assignment[..<eq].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !key.contains(where: \.isEmpty) else { throw .message("--var \"\(assignment)\": empty name in the key") }
            vars.set(path: key, to: .string(String(assignment[assignment.index(after: eq)...])))
        }
        var spec: JSONObject = ["variables": vars]
        if let locale, !locale.isEmpty { spec["locale"] = .string(locale) }
        if let recipient, !recipient.isEmpty { spec["recipient"] = .string(recipient) }
        if let channelType, !channelType.isEmpty { spec["channelType"] = .string(channelType) }
        return ["apiVersion": "herald.dev/v1alpha1", "kind": "TemplateRender", "spec": .object(spec)]
    }
}
