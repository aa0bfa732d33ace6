/// Schemas used by more than one kind.
enum SharedSchemas {
    static let retry: Schema = .object(
        "Retry policy: delay = min(maxBackoff, initialBackoff × multiplier^(attempt−1)), with jitter.",
        [
            "maxAttempts": .integer("Attempts before a delivery fails (including the first).", minimum: 1, maximum: 100),
            "initialBackoff": .duration("Delay before the second attempt."),
            "maxBackoff": .duration("Upper bound of any delay."),
            "multiplier": .number("Growth factor between attempts.", minimum: 1, maximum: 10),
            "jitter": .string("full (random in [0, delay]), equal (delay/2 + random half) or none.", enum: ["full", "equal", "none"]),
        ])

    static let secretKeyRef = Schema.reference("A key in a Secret of the same namespace.", key: true)
    static let secretRef = Schema.reference("A Secret of the same namespace.")

    static let message: Schema = .object(
        "Inline content serving every channel; Mustache placeholders are rendered with variables.",
        [
            "subject": .string("Email subject."),
            "text": .string("Plain text body (email text, SMS, chat, log)."),
            "html": .string("Email HTML body."),
            "title": .string("Push title."),
            "body": .string("Push body, or the webhook body."),
            "data": .any("Push data (key/value)."),
        ])

    static let address: Schema = .object(
        "An ad-hoc address, with no Recipient object.",
        [
            "email": .string("Email address.", format: .email),
            "phone": .string("Phone number in E.164 form."),
            "webhook": .string("Webhook URL.", format: .uri),
            "deviceToken": .string("A push device token (FCM or APNs)."),
            "locale": .string("Locale such as fr-CA."),
            "timezone": .string("IANA time zone such as Europe/Paris."),
        ])

    static func conditionsStatus(_ description: String, extra: [String: Schema] = [:]) -> Schema {
        var props = extra
        props["conditions"] = ConditionSchema.schema
        props["observedGeneration"] = .integer("The generation the controller last acted on.")
        return .object(description, props)
    }

    static func nameProblems(_ r: Resource) -> [FieldError] {
        var errors: [FieldError] = []
        if r.name.isEmpty {
            if r.generateName != nil { return errors }
            errors.append(FieldError("metadata.name", .required, "Required value: name or generateName is required"))
        } else if let p = Validation.dns1123SubdomainProblem(r.name) {
            errors.append(FieldError("metadata.name", .invalid, "Invalid value: \"\(r.name)\": \(p)"))
        }
        if !r.namespace.isEmpty, let p = Validation.dns1123LabelProblem(r.namespace) {
            errors.append(FieldError("metadata.namespace", .invalid, "Invalid value: \"\(r.namespace)\": \(p)"))
        }
        for (k, v) in r.labels.sorted(by: { $0.key < $1.key }) {
            if let p = Validation.labelKeyProblem(k) {
                errors.append(FieldError("metadata.labels", .invalid, "Invalid value: \"\(k)\": \(p)"))
            }
            if let p = Validation.labelValueProblem(v) {
                errors.append(FieldError("metadata.labels", .invalid, "Invalid value: \"\(v)\": \(p)"))
            }
        }
        for k in r.annotations.keys.sorted() {
            if let p = Validation.labelKeyProblem(k) {
                errors.append(FieldError("metadata.annotations", .invalid, "Invalid value: \"\(k)\": \(p)"))
            }
        }
        // As in Kubernetes: controllers (and `controllerReference`) rely on there being one.
        let controllers = r.ownerReferences.filter(\.controller)
        if controllers.count > 1 {
            let named = controllers.map { "\($0.kind)/\($0.name)" }.joined(separator: ", ")
            errors.append(
                FieldError(
                    "metadata.ownerReferences", .invalid,
                    "Invalid value: only one reference can have controller set to true; found it on \(named)"))
        }
        return errors
    }

    static func phase(_ r: Resource) -> JSON {
        r.status?["phase"] ?? .string("")
    }

    static func conditionStatus(_ r: Resource, _ type: String) -> JSON {
        r.condition(type)?["status"] ?? .string("Unknown")
    }
}
