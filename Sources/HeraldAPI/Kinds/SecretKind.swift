extension KindDefinition {
    public static let secret = KindDefinition(
        group: "herald.dev", version: "v1alpha1", kind: "Secret", plural: "secrets", singular: "secret",
        shortNames: [], categories: ["herald"], namespaced: true, hasStatus: false,
        description: "Credentials referenced by Channels; values never appear in logs, events or status.",
        fields: [
            "type": .string("Secret type (default Opaque)."),
            "data": .map("Base64-encoded values.", of: .string("", format: .byte)),
            "stringData": .stringMap("Plain values, merged into data on write and never returned."),
        ],
        requiredFields: [], statusSchema: nil,
        columns: [
            .name,
            PrinterColumn("Type", "Secret type.") { r, _ in r.json["type"] ?? "Opaque" },
            PrinterColumn("Data", type: "integer", "Number of keys.") { r, _ in
                .int(Int64(r.json["data"]?.objectValue?.count ?? 0))
            },
            .age,
        ],
        selectableFields: ["type": { $0.json["type"]?.stringValue }],
        applyDefaults: { r in
            if r.json["type"] == nil { r.json["type"] = "Opaque" }
            // stringData is write-only: fold it into data.
            if let plain = r.json["stringData"]?.stringMap {
                var data = r.json["data"]?.objectValue ?? [:]
                for (k, v) in plain { data[k] = .string(Base64.encode(Array(v.utf8))) }
                r.json["data"] = .object(data)
                r.json["stringData"] = nil
            }
        },
        validate: { r in
            var errors = SharedSchemas.nameProblems(r)
            for key in (r.json["data"]?.objectValue?.keys.sorted() ?? []) {
                let ok =
                    !key.isEmpty && key.utf8.count <= 253
                    && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
                if !ok {
                    errors.append(
                        FieldError("data[\(key)]", .invalid, "Invalid value: keys must consist of alphanumeric characters, '-', '_' or '.'")
                    )
                }
            }
            return errors
        })
}

extension Resource {
    /// A Secret's decoded value, for drivers; never log the result.
    public func secretValue(_ key: String) -> [UInt8]? {
        json["data"]?[key]?.stringValue.flatMap(Base64.decode)
    }
}
