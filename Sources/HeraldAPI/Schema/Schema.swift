/// A structural schema: the single definition from which Herald validates objects, prunes unknown
/// fields, and publishes OpenAPI v3 (which `kubectl explain` reads).
public final class Schema: Sendable {
    public enum Kind: String, Sendable {
        case object, array, string, integer, number, boolean
        /// Any JSON value (free-form data such as template variables or push data).
        case any
    }

    public enum Format: String, Sendable {
        case dateTime = "date-time"
        case duration
        case byte
        case email
        case uri
    }

    public let kind: Kind
    public let description: String
    public let properties: [String: Schema]
    public let required: [String]
    /// For maps: the schema of every value.
    public let additionalProperties: Schema?
    public let items: Schema?
    public let enumValues: [String]
    public let format: Format?
    public let minimum: Double?
    public let maximum: Double?
    public let maxLength: Int?
    public let minItems: Int?
    /// Objects whose fields are kept as given (ObjectMeta's managedFields, free-form data).
    public let preserveUnknownFields: Bool

    init(
        kind: Kind, description: String, properties: [String: Schema] = [:], required: [String] = [],
        additionalProperties: Schema? = nil, items: Schema? = nil, enumValues: [String] = [],
        format: Format? = nil, minimum: Double? = nil, maximum: Double? = nil, maxLength: Int? = nil,
        minItems: Int? = nil, preserveUnknownFields: Bool = false
    ) {
        self.kind = kind
        self.description = description
        self.properties = properties
        self.required = required
        self.additionalProperties = additionalProperties
        self.items = items
        self.enumValues = enumValues
        self.format = format
        self.minimum = minimum
        self.maximum = maximum
        self.maxLength = maxLength
        self.minItems = minItems
        self.preserveUnknownFields = preserveUnknownFields
    }

    public static func object(_ description: String, _ properties: [String: Schema], required: [String] = [])
        -> Schema
    {
        Schema(kind: .object, description: description, properties: properties, required: required)
    }

    public static func map(_ description: String, of value: Schema) -> Schema {
        Schema(kind: .object, description: description, additionalProperties: value)
    }

    public static func stringMap(_ description: String) -> Schema {
        map(description, of: .string(""))
    }

    public static func array(_ description: String, of items: Schema, minItems: Int? = nil) -> Schema {
        Schema(kind: .array, description: description, items: items, minItems: minItems)
    }

    public static func string(
        _ description: String, enum values: [String] = [], format: Format? = nil,
        maxLength: Int? = nil
    ) -> Schema {
        Schema(kind: .string, description: description, enumValues: values, format: format, maxLength: maxLength)
    }

    public static func integer(_ description: String, minimum: Double? = nil, maximum: Double? = nil) -> Schema {
        Schema(kind: .integer, description: description, minimum: minimum, maximum: maximum)
    }

    public static func number(_ description: String, minimum: Double? = nil, maximum: Double? = nil) -> Schema {
        Schema(kind: .number, description: description, minimum: minimum, maximum: maximum)
    }

    public static func boolean(_ description: String) -> Schema {
        Schema(kind: .boolean, description: description)
    }

    public static func any(_ description: String) -> Schema {
        Schema(kind: .any, description: description, preserveUnknownFields: true)
    }

    public static func duration(_ description: String) -> Schema {
        .string(description + " A duration such as 500ms, 2s, 10m or 1h30m.", format: .duration)
    }

    public static func time(_ description: String) -> Schema {
        .string(description + " RFC 3339 time, e.g. 2026-11-21T10:00:00Z.", format: .dateTime)
    }

    /// A reference to another object in the same namespace.
    public static func reference(_ description: String, key: Bool = false) -> Schema {
        var props: [String: Schema] = ["name": .string("Name of the referenced object.")]
        if key { props["key"] = .string("Key within the referenced Secret.") }
        return .object(description, props, required: key ? ["name", "key"] : ["name"])
    }
}
