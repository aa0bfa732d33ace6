extension KindDefinition {
    public static let template = KindDefinition(
        group: "herald.dev", version: "v1alpha1", kind: "Template", plural: "templates", singular: "template",
        shortNames: ["tpl"], categories: ["herald"], namespaced: true, hasStatus: true,
        description: "Mustache content per channel type, with optional per-locale variants.",
        fields: ["spec": TemplateSchema.spec], requiredFields: ["spec"],
        statusSchema: SharedSchemas.conditionsStatus("Observed state.", extra: ["digest": .string("sha256 of the spec.")]),
        columns: [
            .name,
            PrinterColumn("Parts", "Channel parts defined.") { r, _ in
                .string(["email", "push", "sms", "chat", "webhook"].filter { r.spec?[$0] != nil }.joined(separator: ","))
            },
            PrinterColumn("Locales", "Locale variants.") { r, _ in
                .string((r.spec?["locales"]?.objectValue?.keys.sorted() ?? []).joined(separator: ","))
            },
            PrinterColumn("Valid", "Valid condition.") { r, _ in SharedSchemas.conditionStatus(r, "Valid") },
            .age,
        ],
        selectableFields: [:],
        applyDefaults: { _ in },
        validate: { r in
            var errors = SharedSchemas.nameProblems(r)
            if let spec = r.spec, ["email", "push", "sms", "chat", "webhook"].allSatisfy({ spec[$0] == nil }) {
                errors.append(FieldError("spec", .required, "Required value: at least one of email, push, sms, chat or webhook"))
            }
            return errors
        },
        actions: [ActionSubresource(name: "render", kind: "TemplateRender")])
}

enum TemplateSchema {
    static let parts: [String: Schema] = [
        "email": .object(
            "Email content.",
            [
                "subject": .string("Subject line."), "text": .string("Plain text body."),
                "html": .string("HTML body; variables are HTML-escaped."),
            ]),
        "push": .object(
            "Push content (Web Push, FCM, APNs).",
            ["title": .string("Title."), "body": .string("Body."), "data": .any("Extra key/value data.")]),
        "sms": .object("SMS content.", ["text": .string("Text.")]),
        "chat": .object("Chat content (Slack).", ["text": .string("Text.")]),
        "webhook": .object("Webhook content.", ["body": .string("Request body, usually JSON.")]),
    ]

    static let spec: Schema = {
        var props = parts
        props["variables"] = .array(
            "Declared variables.",
            of: .object(
                "A variable.",
                [
                    "name": .string("Variable name."), "required": .boolean("Sending fails without it."),
                    "default": .string("Value when not given."),
                ], required: ["name"]))
        props["locales"] = .map("Per-locale overrides of any part, keyed by locale (fr, fr-CA).", of: .object("Locale variant.", parts))
        return .object("Template content.", props)
    }()
}
