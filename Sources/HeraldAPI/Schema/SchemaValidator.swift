/// Checks a JSON value against a schema, collecting every problem with its field path, noting unknown
/// fields, and returning the value with unknown fields pruned (as the Kubernetes API does for
/// structural schemas).
public struct SchemaValidator {
    public var errors: [FieldError] = []
    public var unknownFields: [String] = []

    public init() {}

    public mutating func validate(_ value: JSON, against schema: Schema, path: String) -> JSON {
        if case .null = value { return value }
        switch schema.kind {
        case .any:
            return value
        case .object:
            guard case .object(let object) = value else {
                typeError(path, expected: "object", got: value)
                return value
            }
            var pruned: JSONObject = [:]
            pruned.reserveCapacity(object.count)
            for (key, child) in object {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let childSchema = schema.properties[key] {
                    pruned[key] = validate(child, against: childSchema, path: childPath)
                } else if let valueSchema = schema.additionalProperties {
                    pruned[key] = validate(child, against: valueSchema, path: childPath)
                } else if schema.preserveUnknownFields {
                    pruned[key] = child
                } else {
                    unknownFields.append(childPath)
                }
            }
            for key in schema.required where object[key] == nil || object[key] == .null {
                errors.append(FieldError(path.isEmpty ? key : "\(path).\(key)", .required, "Required value"))
            }
            return .object(pruned)
        case .array:
            guard case .array(let array) = value else {
                typeError(path, expected: "array", got: value)
                return value
            }
            if let min = schema.minItems, array.count < min {
                errors.append(FieldError(path, .required, "must have at least \(min) item\(min == 1 ? "" : "s")"))
            }
            guard let items = schema.items else { return value }
            return .array(array.enumerated().map { validate($1, against: items, path: "\(path)[\($0)]") })
        case .string:
            guard case .string(let s) = value else {
                typeError(path, expected: "string", got: value)
                return value
            }
            if !schema.enumValues.isEmpty, !schema.enumValues.contains(s) {
                let supported = schema.enumValues.map { "\"\($0)\"" }.joined(separator: ", ")
                errors.append(FieldError(path, .notSupported, "Unsupported value: \"\(s)\": supported values: \(supported)"))
            }
            if let max = schema.maxLength, s.count > max {
                errors.append(FieldError(path, .tooLong, "may not be more than \(max) characters"))
            }
            switch schema.format {
            case .duration where Duration.parse(s) == nil:
                errors.append(FieldError(path, .invalid, "Invalid value: \"\(s)\": must be a duration such as 2s, 10m or 1h30m"))
            case .dateTime where Timestamp.parse(s) == nil:
                errors.append(FieldError(path, .invalid, "Invalid value: \"\(s)\": must be an RFC 3339 time such as 2026-11-21T10:00:00Z"))
            case .byte where Base64.decode(s) == nil:
                errors.append(FieldError(path, .invalid, "Invalid value: must be base64-encoded"))
            case .email where !s.contains("@") || s.hasPrefix("@") || s.hasSuffix("@") || s.contains(" "):
                errors.append(FieldError(path, .invalid, "Invalid value: \"\(s)\": must be an email address"))
            case .uri where !(s.hasPrefix("http://") || s.hasPrefix("https://")):
                errors.append(FieldError(path, .invalid, "Invalid value: \"\(s)\": must be an http(s) URL"))
            default: break
            }
            return value
        case .integer:
            guard let i = value.intValue else {
                typeError(path, expected: "integer", got: value)
                return value
            }
            checkRange(Double(i), schema, path)
            return .int(i)
        case .number:
            guard let d = value.doubleValue else {
                typeError(path, expected: "number", got: value)
                return value
            }
            checkRange(d, schema, path)
            return value
        case .boolean:
            if value.boolValue == nil { typeError(path, expected: "boolean", got: value) }
            return value
        }
    }

    mutating func checkRange(_ v: Double, _ schema: Schema, _ path: String) {
        if let min = schema.minimum, v < min {
            errors.append(
                FieldError(path, .invalid, "Invalid value: \(v.cleanDescription): must be greater than or equal to \(min.cleanDescription)")
            )
        }
        if let max = schema.maximum, v > max {
            errors.append(
                FieldError(path, .invalid, "Invalid value: \(v.cleanDescription): must be less than or equal to \(max.cleanDescription)"))
        }
    }

    mutating func typeError(_ path: String, expected: String, got: JSON) {
        errors.append(
            FieldError(
                path, .typeInvalid, "Invalid value: \"\(got.typeName)\": \(path) in body must be of type \(expected): \"\(got.typeName)\""))
    }
}

extension Double {
    var cleanDescription: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
