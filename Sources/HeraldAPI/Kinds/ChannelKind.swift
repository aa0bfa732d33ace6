extension KindDefinition {
    public static let channel = KindDefinition(
        group: "herald.dev", version: "v1alpha1", kind: "Channel", plural: "channels", singular: "channel",
        shortNames: ["ch"], categories: ["herald"], namespaced: true, hasStatus: true,
        description: "A configured delivery backend.",
        fields: ["spec": ChannelSchema.spec], requiredFields: ["spec"],
        statusSchema: SharedSchemas.conditionsStatus("Observed state."),
        columns: [
            .name,
            PrinterColumn("Type", "Channel type.") { r, _ in r.spec?["type"] ?? "" },
            PrinterColumn("Ready", "Ready condition.") { r, _ in SharedSchemas.conditionStatus(r, "Ready") },
            PrinterColumn("Circuit", priority: 1, "Circuit breaker state.") { r, _ in
                r.condition("CircuitOpen")?["status"]?.stringValue == "True" ? "Open" : "Closed"
            },
            .age,
        ],
        selectableFields: ["spec.type": { $0.spec?["type"]?.stringValue }],
        applyDefaults: { r in
            if r.spec?["timeout"] == nil { r.json.set(path: ["spec", "timeout"], to: "10s") }
        },
        validate: { r in
            var errors = SharedSchemas.nameProblems(r)
            guard let type = r.spec?["type"]?.stringValue else { return errors }
            let needs: [String: String] = [
                "smtp": "smtp", "webhook": "webhook", "slack": "slack", "webpush": "webpush", "fcm": "fcm",
                "apns": "apns", "twilio": "twilio",
            ]
            if let section = needs[type], r.spec?[section] == nil {
                errors.append(FieldError("spec.\(section)", .required, "Required value: a \(type) channel needs spec.\(section)"))
            }
            for other in ChannelSchema.types where other != type && other != "log" && r.spec?[other] != nil {
                errors.append(FieldError("spec.\(other)", .forbidden, "Forbidden: settings for \(other) on a \(type) channel"))
            }
            return errors
        })
}

enum ChannelSchema {
    static let types = ["smtp", "webhook", "slack", "webpush", "fcm", "apns", "twilio", "log"]

    static let spec: Schema = .object(
        "Backend settings; credentials come from Secrets.",
        [
            "type": .string("Delivery backend.", enum: types),
            "smtp": .object(
                "SMTP relay.",
                [
                    "host": .string("Server host."), "port": .integer("Server port.", minimum: 1, maximum: 65535),
                    "tls": .string("Transport security.", enum: ["none", "starttls", "implicit"]),
                    "from": .string("From address."), "authSecretRef": SharedSchemas.secretRef,
                    "insecureSkipVerify": .boolean("Accept any server certificate (testing only)."),
                    "listUnsubscribe": .string("List-Unsubscribe header value, e.g. <mailto:unsubscribe@example.com>."),
                ], required: ["host", "from"]),
            "webhook": .object(
                "HTTP webhook, signed with Standard Webhooks.",
                [
                    "url": .string("Endpoint URL.", format: .uri), "headers": .stringMap("Extra request headers."),
                    "signingSecretRef": SharedSchemas.secretKeyRef,
                ]),
            "slack": .object("Slack incoming webhook.", ["urlSecretRef": SharedSchemas.secretKeyRef], required: ["urlSecretRef"]),
            "webpush": .object(
                "Web Push with VAPID.",
                ["vapidSecretRef": SharedSchemas.secretRef, "subject": .string("VAPID subject, mailto: or https: URL.")],
                required: ["vapidSecretRef", "subject"]),
            "fcm": .object(
                "Firebase Cloud Messaging HTTP v1.",
                [
                    "serviceAccountSecretRef": SharedSchemas.secretRef, "endpoint": .string("API endpoint override.", format: .uri),
                    "tokenEndpoint": .string("OAuth token endpoint override.", format: .uri),
                ], required: ["serviceAccountSecretRef"]),
            "apns": .object(
                "Apple Push Notification service.",
                [
                    "teamID": .string("Team ID."), "keyID": .string("Key ID."), "topic": .string("App bundle id."),
                    "keySecretRef": SharedSchemas.secretRef, "endpoint": .string("API endpoint override.", format: .uri),
                ], required: ["teamID", "keyID", "topic", "keySecretRef"]),
            "twilio": .object(
                "Twilio SMS.",
                [
                    "accountSID": .string("Account SID."), "from": .string("Sender number."),
                    "authSecretRef": SharedSchemas.secretRef, "endpoint": .string("API endpoint override.", format: .uri),
                ], required: ["accountSID", "from", "authSecretRef"]),
            "timeout": .duration("Per-attempt timeout."),
            "rateLimit": .object(
                "Token bucket.",
                ["perSecond": .number("Sustained rate.", minimum: 0), "burst": .integer("Bucket size.", minimum: 1)]),
            "circuitBreaker": .object(
                "Circuit breaker.",
                [
                    "failureThreshold": .integer("Consecutive failures that open it.", minimum: 1),
                    "openFor": .duration("How long it stays open before a probe."),
                ]),
            "retry": SharedSchemas.retry,
        ], required: ["type"])
}
