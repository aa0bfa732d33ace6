extension KindDefinition {
    public static let recipient = KindDefinition(
        group: "herald.dev", version: "v1alpha1", kind: "Recipient", plural: "recipients", singular: "recipient",
        shortNames: ["rcpt"], categories: ["herald"], namespaced: true, hasStatus: true,
        description: "A person or endpoint: addresses per channel type, locale, timezone and preferences.",
        fields: ["spec": RecipientSchema.spec], requiredFields: ["spec"],
        statusSchema: SharedSchemas.conditionsStatus(
            "Observed state (stale device tokens and subscriptions).",
            extra: ["staleAddresses": .array("Addresses a provider reported as gone.", of: .string(""))]),
        columns: [
            .name,
            PrinterColumn("Email", "Email address.") { r, _ in r.spec?["email"] ?? "" },
            PrinterColumn("Phone", "Phone number.") { r, _ in r.spec?["phone"] ?? "" },
            PrinterColumn("Locale", "Locale.") { r, _ in r.spec?["locale"] ?? "" },
            .age,
        ],
        selectableFields: [:],
        applyDefaults: { _ in },
        validate: { r in
            var errors = SharedSchemas.nameProblems(r)
            if let q = r.spec?["preferences"]?["quietHours"] {
                for key in ["start", "end"] {
                    if let v = q[key]?.stringValue, !RecipientSchema.isClock(v) {
                        errors.append(FieldError("spec.preferences.quietHours.\(key)", .invalid, "Invalid value: \"\(v)\": must be HH:MM"))
                    }
                }
            }
            return errors
        })
}

enum RecipientSchema {
    static func isClock(_ s: String) -> Bool {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), parts[1].count == 2 else { return false }
        return (0..<24).contains(h) && (0..<60).contains(m)
    }

    static let spec: Schema = .object(
        "Addresses and preferences.",
        [
            "email": .string("Email address.", format: .email),
            "phone": .string("Phone number in E.164 form."),
            "locale": .string("Preferred locale, e.g. fr-CA."),
            "timezone": .string("IANA time zone, e.g. Europe/Paris."),
            "webhook": .object("Per-recipient webhook.", ["url": .string("URL overriding the Channel's.", format: .uri)]),
            "devices": .array(
                "Push devices.",
                of: .object(
                    "A device.", ["type": .string("fcm or apns.", enum: ["fcm", "apns"]), "token": .string("Device token.")],
                    required: ["type", "token"])),
            "webPush": .array(
                "Web Push subscriptions.",
                of: .object(
                    "A subscription.",
                    [
                        "endpoint": .string("Push service endpoint.", format: .uri),
                        "keys": .object(
                            "Subscription keys.", ["p256dh": .string("Client public key."), "auth": .string("Auth secret.")],
                            required: ["p256dh", "auth"]),
                    ], required: ["endpoint", "keys"])),
            "preferences": .object(
                "What the recipient wants.",
                [
                    "optOut": .object(
                        "Opt-outs.",
                        [
                            "channels": .array("Channel names or types.", of: .string("")),
                            "categories": .array("Categories.", of: .string("")),
                        ]),
                    "quietHours": .object(
                        "Hours when non-high priority notifications wait.",
                        ["start": .string("HH:MM in the recipient's timezone."), "end": .string("HH:MM in the recipient's timezone.")],
                        required: ["start", "end"]),
                ]),
        ])
}
