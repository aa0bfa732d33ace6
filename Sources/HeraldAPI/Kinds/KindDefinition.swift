import Foundation

/// Everything the API serves about one kind: names, schema, printer columns, selectable fields,
/// defaulting and semantic validation. One value per kind drives validation, discovery, OpenAPI,
/// `kubectl explain` and table output alike.
public struct KindDefinition: Sendable {
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var categories: [String]
    public var namespaced: Bool
    public var hasStatus: Bool
    public var description: String
    /// The schema of `spec` (or of the top-level data fields for kinds without one).
    public var fields: [String: Schema]
    public var requiredFields: [String]
    public var statusSchema: Schema?
    public var columns: [PrinterColumn]
    /// Field selectors beyond metadata.name and metadata.namespace, with how to read each.
    public var selectableFields: [String: @Sendable (Resource) -> String?]
    public var applyDefaults: @Sendable (inout Resource) -> Void
    public var validate: @Sendable (Resource) -> [FieldError]
    /// Subresources that take a POST and answer with another kind (a Template's `render`).
    public var actions: [ActionSubresource] = []

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var verbs: [String] {
        ["create", "delete", "get", "list", "patch", "update", "watch"]
    }

    /// The whole-object schema.
    public var schema: Schema {
        var props = fields
        props["apiVersion"] = .string("APIVersion defines the versioned schema of this representation of an object.")
        props["kind"] = .string("Kind is a string value representing the REST resource this object represents.")
        props["metadata"] = ObjectMetaSchema.schema
        if let statusSchema { props["status"] = statusSchema }
        return .object(description, props, required: requiredFields)
    }

    public func fieldValue(_ resource: Resource, _ field: String) -> String? {
        switch field {
        case "metadata.name": return resource.name
        case "metadata.namespace": return resource.namespace
        default: return selectableFields[field]?(resource)
        }
    }

    public var selectableFieldNames: [String] {
        ["metadata.name", "metadata.namespace"] + selectableFields.keys.sorted()
    }
}

/// A POST-only subresource answering with its own kind, like Kubernetes' `pods/eviction`.
public struct ActionSubresource: Sendable, Hashable {
    /// The path segment after the object's name (`render`).
    public var name: String
    /// The kind of the request and the response (`TemplateRender`).
    public var kind: String

    public init(name: String, kind: String) {
        self.name = name
        self.kind = kind
    }
}

/// A column of `kubectl get` output; cells are computed by the server, as text for ages.
public struct PrinterColumn: Sendable {
    public var name: String
    public var type: String
    public var priority: Int
    public var description: String
    public var value: @Sendable (Resource, Date) -> JSON

    public init(
        _ name: String, type: String = "string", priority: Int = 0, _ description: String,
        value: @escaping @Sendable (Resource, Date) -> JSON
    ) {
        self.name = name
        self.type = type
        self.priority = priority
        self.description = description
        self.value = value
    }

    public static let name = PrinterColumn("Name", type: "string", "Name must be unique within a namespace.") { r, _ in
        .string(r.name)
    }

    public static let age = PrinterColumn("Age", type: "date", "Time since the object was created.") { r, now in
        guard let ts = r.creationTimestamp, let date = Timestamp.parse(ts) else { return "<unknown>" }
        return .string(Timestamp.age(since: date, now: now))
    }
}

enum ObjectMetaSchema {
    static let schema: Schema = .object(
        "Standard object metadata.",
        [
            "name": .string("Name must be unique within a namespace; a DNS-1123 subdomain."),
            "generateName": .string("Prefix for a server-generated name when name is empty."),
            "namespace": .string("Namespace the object lives in."),
            "uid": .string("Unique identifier set by the server."),
            "resourceVersion": .string("Opaque version of this object, used for optimistic concurrency and watches."),
            "generation": .integer("Sequence number of the desired state (spec); set by the server."),
            "creationTimestamp": .time("When the object was created; set by the server."),
            "deletionTimestamp": .time("When deletion was requested; set by the server."),
            "deletionGracePeriodSeconds": .integer("Seconds allowed for graceful deletion."),
            "labels": .stringMap("Map of string keys and values used to select objects."),
            "annotations": .stringMap("Unstructured key value map stored with the object."),
            "finalizers": .array("Must be empty before the object is deleted from storage.", of: .string("")),
            "ownerReferences": .array(
                "Objects this one depends on; it is garbage collected when they are gone.",
                of: .object(
                    "A reference to an owner.",
                    [
                        "apiVersion": .string("API version of the owner."),
                        "kind": .string("Kind of the owner."),
                        "name": .string("Name of the owner."),
                        "uid": .string("UID of the owner."),
                        "controller": .boolean("True when the owner is the managing controller."),
                        "blockOwnerDeletion": .boolean("Foreground deletion waits for this object."),
                    ], required: ["apiVersion", "kind", "name", "uid"])),
            "managedFields": .array("Field ownership kept by server-side apply.", of: .any("A managed fields entry.")),
            "selfLink": .string("Deprecated; unused."),
        ])
}

/// Status conditions, shared by every kind that reports them.
public enum ConditionSchema {
    public static let schema: Schema = .array(
        "Observations of the object's state, Kubernetes style.",
        of: .object(
            "A condition.",
            [
                "type": .string("Type of condition, e.g. Ready."),
                "status": .string("True, False or Unknown.", enum: ["True", "False", "Unknown"]),
                "reason": .string("CamelCase reason for the last transition."),
                "message": .string("Human readable detail."),
                "lastTransitionTime": .time("When the status last changed."),
                "observedGeneration": .integer("The generation this condition was computed from."),
            ], required: ["type", "status"]))
}

extension Resource {
    /// The condition with the given type, if present.
    public func condition(_ type: String) -> JSON? {
        status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// The spec-like content whose change bumps `generation`: everything but metadata and status.
    public var desiredState: JSON {
        guard case .object(var o) = json else { return json }
        o["metadata"] = nil
        o["status"] = nil
        o["apiVersion"] = nil
        o["kind"] = nil
        return .object(o)
    }
}
