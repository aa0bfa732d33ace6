import Foundation

extension KindDefinition {
    public static let notification = KindDefinition(
        group: "herald.dev", version: "v1alpha1", kind: "Notification", plural: "notifications",
        singular: "notification", shortNames: ["notif"], categories: ["herald"], namespaced: true, hasStatus: true,
        description: "One message to one or more recipients over one or more channels.",
        fields: ["spec": NotificationSchema.spec], requiredFields: ["spec"], statusSchema: NotificationSchema.status,
        columns: [
            .name,
            PrinterColumn("Phase", "Delivery phase.") { r, _ in SharedSchemas.phase(r) },
            PrinterColumn("Delivered", "Delivered deliveries out of all.") { r, _ in
                let d = r.status?["deliveries"]
                return .string("\(d?["delivered"]?.intValue ?? 0)/\(d?["total"]?.intValue ?? 0)")
            },
            .age,
            PrinterColumn("Channels", priority: 1, "Channels used.") { r, _ in
                .string((r.spec?["channels"]?.arrayValue?.compactMap(\.stringValue) ?? []).joined(separator: ","))
            },
            PrinterColumn("Template", priority: 1, "Template used.") { r, _ in
                r.spec?["templateRef"]?["name"] ?? .string(r.spec?["message"] != nil ? "<inline>" : "")
            },
            PrinterColumn("Message", priority: 1, "Message of the Delivered condition.") { r, _ in
                r.condition("Delivered")?["message"] ?? ""
            },
        ],
        selectableFields: [
            "status.phase": { $0.status?["phase"]?.stringValue },
            "spec.templateRef.name": { $0.spec?["templateRef"]?["name"]?.stringValue },
        ],
        applyDefaults: { r in
            if r.spec?["priority"] == nil { r.json.set(path: ["spec", "priority"], to: "normal") }
        },
        validate: { r in
            var errors = SharedSchemas.nameProblems(r)
            guard let spec = r.spec else { return errors }
            if spec["templateRef"] == nil && spec["message"] == nil {
                errors.append(FieldError("spec", .required, "Required value: one of templateRef or message"))
            }
            if spec["templateRef"] != nil && spec["message"] != nil {
                errors.append(FieldError("spec", .forbidden, "Forbidden: templateRef and message are mutually exclusive"))
            }
            for (i, entry) in (spec["to"]?.arrayValue ?? []).enumerated() {
                let set = ["recipientRef", "selector", "address"].filter { entry[$0] != nil }
                if set.count != 1 {
                    errors.append(
                        FieldError("spec.to[\(i)]", .invalid, "Invalid value: exactly one of recipientRef, selector or address must be set")
                    )
                }
                if let selector = entry["selector"] {
                    do { _ = try LabelSelector(json: selector) } catch let error as SelectorError {
                        errors.append(FieldError("spec.to[\(i)].selector", .invalid, "Invalid value: \(error.message)"))
                    } catch {}
                }
            }
            let channels = spec["channels"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if Set(channels).count != channels.count {
                errors.append(FieldError("spec.channels", .duplicate, "Duplicate value: channel names must be unique"))
            }
            if let nb = spec["notBefore"]?.stringValue.flatMap(Timestamp.parse),
                let db = spec["deliverBy"]?.stringValue.flatMap(Timestamp.parse), db <= nb
            {
                errors.append(FieldError("spec.deliverBy", .invalid, "Invalid value: deliverBy must be after notBefore"))
            }
            return errors
        })
}

enum NotificationSchema {
    static let target: Schema = .object(
        "One target: a Recipient by name, Recipients by label selector, or an ad-hoc address.",
        [
            "recipientRef": .reference("A Recipient in the same namespace."),
            "selector": .object(
                "Recipients whose labels match.",
                [
                    "matchLabels": .stringMap("Labels that must all match."),
                    "matchExpressions": .array(
                        "Set-based requirements.",
                        of: .object(
                            "A requirement.",
                            [
                                "key": .string("Label key."),
                                "operator": .string("How the key relates to the values.", enum: ["In", "NotIn", "Exists", "DoesNotExist"]),
                                "values": .array("Values for In and NotIn.", of: .string("")),
                            ], required: ["key", "operator"])),
                ]),
            "address": SharedSchemas.address,
        ])

    static let spec: Schema = .object(
        "The desired notification.",
        [
            "templateRef": .reference("A Template in the same namespace."),
            "message": SharedSchemas.message,
            "variables": .any("Values for the template's placeholders."),
            "to": .array("Who receives it; any mix of targets.", of: target, minItems: 1),
            "channels": .array("Channel names to deliver through; each Channel has a type.", of: .string(""), minItems: 1),
            "category": .string("Category that recipients may opt out of."),
            "priority": .string("Delivery priority.", enum: ["low", "normal", "high"]),
            "notBefore": .time("Do not send before this time."),
            "deliverBy": .time("Deadline; pending deliveries expire after it."),
            "retry": SharedSchemas.retry,
            "suspend": .boolean("Pause sending; resumes when set back to false."),
        ], required: ["to", "channels"])

    static let counts: Schema = .object(
        "Delivery counts by outcome.",
        [
            "total": .integer("All deliveries."), "pending": .integer("Not yet sent."),
            "delivered": .integer("Delivered."), "retrying": .integer("Waiting for another attempt."),
            "failed": .integer("Failed for good."), "suppressed": .integer("Skipped by preferences."),
            "expired": .integer("Missed the deadline."),
        ])

    static let status = SharedSchemas.conditionsStatus(
        "Observed state, written by the controller.",
        extra: [
            "phase": .string(
                "Summary phase.",
                enum: ["Pending", "Scheduled", "Delivering", "Delivered", "PartiallyFailed", "Failed", "Expired", "Suspended"]),
            "deliveries": counts,
            "round": .integer("Current send round (bumped by the herald.dev/resend-at annotation)."),
        ])
}
