extension Schema {
    /// The OpenAPI v3 form of this schema.
    public var openAPI: JSON {
        var o: JSONObject = [:]
        if !description.isEmpty { o["description"] = .string(description) }
        switch kind {
        case .any:
            o["x-kubernetes-preserve-unknown-fields"] = true
        case .object:
            o["type"] = "object"
            if !properties.isEmpty { o["properties"] = .object(JSONObject(properties.mapValues(\.openAPI))) }
            if !required.isEmpty { o["required"] = JSON(required.sorted()) }
            if let additionalProperties { o["additionalProperties"] = additionalProperties.openAPI }
            if preserveUnknownFields { o["x-kubernetes-preserve-unknown-fields"] = true }
        case .array:
            o["type"] = "array"
            if let items { o["items"] = items.openAPI }
            o["x-kubernetes-list-type"] = "atomic"
            if let minItems { o["minItems"] = .int(Int64(minItems)) }
        case .string, .integer, .number, .boolean:
            o["type"] = .string(kind.rawValue)
        }
        if !enumValues.isEmpty { o["enum"] = JSON(enumValues) }
        if let format { o["format"] = .string(format.rawValue) }
        if let minimum { o["minimum"] = .double(minimum) }
        if let maximum { o["maximum"] = .double(maximum) }
        if let maxLength { o["maxLength"] = .int(Int64(maxLength)) }
        return .object(o)
    }
}
