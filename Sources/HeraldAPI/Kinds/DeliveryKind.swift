import Foundation

extension KindDefinition {
    public static let delivery = KindDefinition(
        group: "herald.dev", version: "v1alpha1", kind: "Delivery", plural: "deliveries", singular: "delivery",
        shortNames: ["dlv"], categories: ["herald"], namespaced: true, hasStatus: true,
        description: "One (recipient, channel) pair of a Notification; created by the controller.",
        fields: ["spec": DeliverySchema.spec], requiredFields: ["spec"], statusSchema: DeliverySchema.status,
        columns: [
            .name,
            PrinterColumn("Phase", "Delivery phase.") { r, _ in SharedSchemas.phase(r) },
            PrinterColumn("Attempts", type: "integer", "Attempts made.") { r, _ in r.status?["attempts"] ?? 0 },
            PrinterColumn("Next-Attempt", "When the next attempt is due.") { r, now in
                guard let next = r.status?["nextAttemptTime"]?.stringValue, let date = Timestamp.parse(next) else {
                    return ""
                }
                return .string(date > now ? "in " + Duration.human(seconds: Int(date.timeIntervalSince(now))) : "due")
            },
            PrinterColumn("Last-Error", "The last error, if any.") { r, _ in
                r.status?["lastError"]?["message"] ?? ""
            },
            PrinterColumn("Notification", priority: 1, "Owning notification.") { r, _ in r.spec?["notification"] ?? "" },
            PrinterColumn("Channel", priority: 1, "Channel used.") { r, _ in r.spec?["channel"] ?? "" },
            PrinterColumn("Address", priority: 1, "Resolved address.") { r, _ in
                r.spec?["address"].map { a in
                    JSON.string((a.objectValue ?? [:]).lazy.compactMap(\.value.stringValue).first ?? "")
                } ?? ""
            },
            .age,
        ],
        selectableFields: [
            "status.phase": { $0.status?["phase"]?.stringValue },
            "spec.notification": { $0.spec?["notification"]?.stringValue },
            "spec.channel": { $0.spec?["channel"]?.stringValue },
            "spec.recipient": { $0.spec?["recipient"]?.stringValue },
        ],
        applyDefaults: { r in
            if r.spec?["round"] == nil { r.json.set(path: ["spec", "round"], to: 0) }
        },
        validate: { r in SharedSchemas.nameProblems(r) })
}

enum DeliverySchema {
    static let spec: Schema = .object(
        "Which notification, recipient and channel this delivery serves.",
        [
            "notification": .string("Name of the owning Notification."),
            "recipient": .string("Recipient name, or a label for an ad-hoc address."),
            "channel": .string("Channel name."),
            "channelType": .string("Channel type at creation.", enum: ChannelSchema.types),
            "address": .any("The resolved address for the channel type."),
            "round": .integer("Send round this delivery belongs to.", minimum: 0),
            "redriveOf": .string("The Failed delivery this one redrives (heraldctl dlq redrive), if any."),
        ], required: ["notification", "recipient", "channel"])

    static let status = SharedSchemas.conditionsStatus(
        "Observed delivery state.",
        extra: [
            "phase": .string(
                "Delivery phase.",
                enum: ["Pending", "Queued", "Sending", "Retrying", "Delivered", "Failed", "Suppressed", "Expired", "Canceled"]),
            "attempts": .integer("Attempts made so far."),
            "lastAttemptTime": .time("When the last attempt started."),
            "nextAttemptTime": .time("When the next attempt is due."),
            "queuedTime": .time("When the current attempt was published."),
            "lastError": .object(
                "The last error.",
                [
                    "class": .string("transient or permanent.", enum: ["transient", "permanent"]),
                    "code": .string("Provider or protocol code."), "message": .string("What went wrong."),
                ]),
            "providerMessageID": .string("The provider's id for the sent message."),
            "renderedDigest": .string("sha256 of what was sent."),
            "reason": .string("Why the delivery is in this phase (e.g. OptedOut)."),
            "heldBack": .integer("Attempts that sent nothing (circuit open, rate limited); they do not count against maxAttempts."),
            "failedTime": .time("When the delivery failed (phase Failed)."),
        ])
}
