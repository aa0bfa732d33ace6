extension KindDefinition {
    /// Core `v1` Events, served where `kubectl describe` looks for them.
    public static let event = KindDefinition(
        group: "", version: "v1", kind: "Event", plural: "events", singular: "event", shortNames: ["ev"],
        categories: [], namespaced: true, hasStatus: false,
        description: "Something that happened to an object, recorded by the controller.",
        fields: [
            "involvedObject": .object(
                "The object this event is about.",
                [
                    "apiVersion": .string(""), "kind": .string(""), "name": .string(""), "namespace": .string(""),
                    "uid": .string(""), "resourceVersion": .string(""), "fieldPath": .string(""),
                ]),
            "reason": .string("Short CamelCase reason."),
            "message": .string("Human readable description."),
            "type": .string("Normal or Warning."),
            "source": .object("Who reported it.", ["component": .string(""), "host": .string("")]),
            "reportingComponent": .string("Component that reported it."),
            "reportingInstance": .string("Instance that reported it."),
            "firstTimestamp": .time("First occurrence."),
            "lastTimestamp": .time("Last occurrence."),
            "eventTime": .string("Precise time."),
            "count": .integer("Occurrences."),
            "action": .string("What was done."),
        ],
        requiredFields: [], statusSchema: nil,
        columns: [
            PrinterColumn("Last Seen", "Last occurrence.") { r, now in
                guard let t = r.json["lastTimestamp"]?.stringValue.flatMap(Timestamp.parse) else { return "" }
                return .string(Timestamp.age(since: t, now: now))
            },
            PrinterColumn("Type", "Normal or Warning.") { r, _ in r.json["type"] ?? "" },
            PrinterColumn("Reason", "Reason.") { r, _ in r.json["reason"] ?? "" },
            PrinterColumn("Object", "Involved object.") { r, _ in
                let o = r.json["involvedObject"]
                return .string("\((o?["kind"]?.stringValue ?? "").lowercased())/\(o?["name"]?.stringValue ?? "")")
            },
            PrinterColumn("Message", "Message.") { r, _ in r.json["message"] ?? "" },
        ],
        selectableFields: [
            "involvedObject.uid": { $0.json["involvedObject"]?["uid"]?.stringValue },
            "involvedObject.name": { $0.json["involvedObject"]?["name"]?.stringValue },
            "involvedObject.namespace": { $0.json["involvedObject"]?["namespace"]?.stringValue },
            "involvedObject.kind": { $0.json["involvedObject"]?["kind"]?.stringValue },
            "involvedObject.apiVersion": { $0.json["involvedObject"]?["apiVersion"]?.stringValue },
            "involvedObject.resourceVersion": { $0.json["involvedObject"]?["resourceVersion"]?.stringValue },
            "involvedObject.fieldPath": { $0.json["involvedObject"]?["fieldPath"]?.stringValue },
            "reason": { $0.json["reason"]?.stringValue },
            "type": { $0.json["type"]?.stringValue },
            "source": { $0.json["source"]?["component"]?.stringValue },
        ],
        applyDefaults: { _ in },
        validate: { r in SharedSchemas.nameProblems(r) })

    public static let namespace = KindDefinition(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace", shortNames: ["ns"],
        categories: [], namespaced: false, hasStatus: true,
        description: "A scope for names.",
        fields: ["spec": .object("Namespace spec.", ["finalizers": .array("Finalizers.", of: .string(""))])],
        requiredFields: [],
        statusSchema: .object("Namespace status.", ["phase": .string("Active or Terminating.")]),
        columns: [.name, PrinterColumn("Status", "Phase.") { r, _ in r.status?["phase"] ?? "Active" }, .age],
        selectableFields: ["status.phase": { $0.status?["phase"]?.stringValue }],
        applyDefaults: { r in
            if r.status?["phase"] == nil { r.json.set(path: ["status", "phase"], to: "Active") }
        },
        validate: { r in
            var errors: [FieldError] = []
            if let p = Validation.dns1123LabelProblem(r.name) {
                errors.append(FieldError("metadata.name", .invalid, "Invalid value: \"\(r.name)\": \(p)"))
            }
            return errors
        })
}
