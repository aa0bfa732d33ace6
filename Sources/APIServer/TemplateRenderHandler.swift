import HeraldAPI
import Hummingbird
import Store

/// `POST …/templates/{name}/render`: renders a stored Template the way a worker would, without
/// sending anything. The body (a `TemplateRender` object, or just its `spec`) names the
/// variables, the locale, a Recipient whose locale and address to use, and a channel type or
/// part; the answer is the same object with `status` holding each rendered part, the locale
/// variant used and the digest a worker would report.
struct TemplateRenderHandler: Sendable {
    static let kind = "TemplateRender"

    let store: any Store
    let engine: any TemplateEngine

    /// A request's knobs, read from the body.
    struct Request {
        var variables: JSON = .emptyObject
        var locale: String?
        var recipient: String?
        /// A channel type (`smtp`, `log`) or a part name (`email`); nil renders every part present.
        var channelType: String?
        var spec: JSON = .emptyObject
    }

    func render(namespace: String, name: String, body: [UInt8]) async throws -> Response {
        let request = try Self.parse(body)
        let template = try await store.get(ObjectKey(kind: KindDefinition.template.kind, namespace: namespace, name: name))
        let spec = template.spec ?? .emptyObject
        var recipientSpec: JSON?
        if let recipient = request.recipient {
            do {
                let key = ObjectKey(kind: KindDefinition.recipient.kind, namespace: namespace, name: recipient)
                recipientSpec = try await store.get(key).spec ?? .emptyObject
            } catch StoreError.notFound {
                throw APIError.notFound(.recipient, recipient)
            }
        }
        let locale = request.locale ?? recipientSpec?["locale"]?.stringValue
        var parts: JSONObject = [:]
        for target in try Self.targets(request.channelType, spec: spec) {
            var variables = request.variables
            if let recipientSpec, let name = request.recipient {
                let address: JSON
                if case .found(let a) = RecipientAddress.fromRecipient(recipientSpec, channelType: target.channelType) {
                    address = a
                } else {
                    address = .emptyObject
                }
                variables = RecipientVariables.merged(
                    variables, name: name, address: address, locale: recipientSpec["locale"]?.stringValue,
                    timezone: recipientSpec["timezone"]?.stringValue)
            }
            let preview: TemplatePreview
            do {
                if let part = target.part {
                    preview = try engine.render(spec, part: part, variables: variables, locale: locale)
                } else {
                    preview = try engine.render(spec, channelType: target.channelType, variables: variables, locale: locale)
                }
            } catch {
                throw Self.invalid(error, template: name)
            }
            // The channel type is echoed only when one was asked for; a part's stand-in is internal.
            parts[preview.part.isEmpty ? target.channelType : preview.part] = Self.json(
                preview, channelType: target.part == nil ? target.channelType : nil)
        }
        var status: JSONObject = ["parts": .object(parts)]
        if let locale { status["requestedLocale"] = .string(locale) }
        let used = Set(parts.values.map { $0["locale"]?.stringValue ?? "" })
        if used.count == 1, let only = used.first, !only.isEmpty { status["locale"] = .string(only) }
        var echoed: JSONObject = ["variables": request.variables]
        if let l = request.locale { echoed["locale"] = .string(l) }
        if let r = request.recipient { echoed["recipient"] = .string(r) }
        if let c = request.channelType { echoed["channelType"] = .string(c) }
        let answer: JSON = [
            "apiVersion": .string(KindDefinition.template.apiVersion), "kind": .string(Self.kind),
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": .object(echoed), "status": .object(status),
        ]
        return Responses.json(answer)
    }

    /// What to render: one channel type or part, or every part the template has (including
    /// parts only a locale variant has).
    struct Target {
        var channelType: String
        /// Set when rendering a part directly (no channel type named, or a part name given).
        var part: String?
    }

    static func targets(_ requested: String?, spec: JSON) throws(APIError) -> [Target] {
        if let requested {
            if TemplateContent.partNames.contains(requested) {
                return [Target(channelType: representativeChannelType(of: requested), part: requested)]
            }
            let known = ["smtp", "webhook", "slack", "webpush", "fcm", "apns", "twilio", "log"]
            guard known.contains(requested) else {
                throw invalidField(
                    "spec.channelType", .notSupported,
                    "Unsupported value: \"\(requested)\": supported values: a part (\(TemplateContent.partNames.joined(separator: ", "))) or a channel type (\(known.joined(separator: ", ")))"
                )
            }
            return [Target(channelType: requested)]
        }
        var present = Set<String>()
        for part in TemplateContent.partNames where spec[part] != nil { present.insert(part) }
        for (_, variant) in spec["locales"]?.objectValue ?? [:] {
            for part in TemplateContent.partNames where variant[part] != nil { present.insert(part) }
        }
        return TemplateContent.partNames.filter(present.contains).map {
            Target(channelType: representativeChannelType(of: $0), part: $0)
        }
    }

    /// The channel type whose address a part's preview shows for `recipient.*`.
    static func representativeChannelType(of part: String) -> String {
        switch part {
        case "email": return "smtp"
        case "push": return "fcm"
        case "sms": return "twilio"
        case "chat": return "slack"
        case "webhook": return "webhook"
        default: return "log"
        }
    }

    static func parse(_ body: [UInt8]) throws(APIError) -> Request {
        var request = Request()
        guard !body.isEmpty else { return request }
        let json: JSON
        do { json = try JSON.parseJSONOrYAML(body) } catch {
            throw APIError.badRequest("the body is not valid JSON or YAML: \(error)")
        }
        guard case .object = json else { throw APIError.badRequest("the body must be an object, not \(json.typeName)") }
        // A full TemplateRender object, or just its spec.
        let spec = json["spec"] ?? json
        request.spec = spec
        if let v = spec["variables"], !v.isNull {
            guard case .object = v else { throw invalidField("spec.variables", .typeInvalid, "Invalid value: must be an object") }
            request.variables = v
        }
        request.locale = try string(spec, "locale")
        request.recipient = try string(spec, "recipient")
        request.channelType = try string(spec, "channelType")
        return request
    }

    static func string(_ spec: JSON, _ key: String) throws(APIError) -> String? {
        guard let v = spec[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw invalidField("spec.\(key)", .typeInvalid, "Invalid value: must be a string") }
        return s.isEmpty ? nil : s
    }

    static func json(_ p: TemplatePreview, channelType: String?) -> JSON {
        var o: JSONObject = ["part": .string(p.part), "renderedDigest": .string(p.digest)]
        if let channelType { o["channelType"] = .string(channelType) }
        if let locale = p.locale { o["locale"] = .string(locale) }
        for (k, v) in p.fields { o[k] = .string(v) }
        if let data = p.data { o["data"] = data }
        return .object(o)
    }

    static func invalidField(_ field: String, _ reason: FieldError.Reason, _ message: String) -> APIError {
        APIError.invalid(
            ValidationError(kind: kind, name: "", errors: [FieldError(field, reason, message)]), definition: nil)
    }

    /// A render failure as 422 Invalid; a missing variable names itself as a cause.
    static func invalid(_ issue: TemplateRenderIssue, template: String) -> APIError {
        var errors: [FieldError] = issue.missingVariables.map {
            let use =
                $0.field == "variables"
                ? "the template declares \"\($0.name)\" required" : "the template uses \"\($0.name)\" in \($0.field)"
            return FieldError("spec.variables.\($0.name)", .required, "Required value: \(use) and no value or default is given")
        }
        if errors.isEmpty { errors = [FieldError("spec", .invalid, "Invalid value: \(issue.message)")] }
        return APIError.invalid(ValidationError(kind: kind, name: template, errors: errors), definition: nil)
    }
}
