/// One API object (`apiVersion`, `kind`, `metadata`, `spec`, `status`) held as JSON, with typed
/// accessors for the metadata the storage and API layers read and write.
public struct Resource: Sendable, Hashable {
    /// The whole object. Changing it through this property reads the identity again; the typed
    /// setters below change `storage` and the one identity field they touch, so a status write
    /// does not pay for re-reading the metadata.
    public var json: JSON {
        get { storage }
        set {
            storage = newValue
            identity = Identity(newValue)
        }
        _modify {
            yield &storage
            identity = Identity(storage)
        }
    }

    private var storage: JSON

    /// Kind, namespace, name, uid and resourceVersion, kept beside `storage`: they are read far
    /// more often than written (every cache lookup, index and log line), and each read from the
    /// JSON tree costs two dictionary lookups.
    private var identity: Identity

    private struct Identity: Sendable {
        var kind: String
        var namespace: String
        var name: String
        var uid: String
        var resourceVersion: Int64

        init(_ json: JSON) {
            kind = json["kind"]?.stringValue ?? ""
            let metadata = json["metadata"]
            namespace = metadata?["namespace"]?.stringValue ?? ""
            name = metadata?["name"]?.stringValue ?? ""
            uid = metadata?["uid"]?.stringValue ?? ""
            resourceVersion = metadata?["resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0
        }
    }

    public init(_ json: JSON) {
        storage = json
        identity = Identity(json)
    }

    public init(apiVersion: String, kind: String, namespace: String?, name: String) {
        var meta: JSONObject = ["name": .string(name)]
        if let namespace { meta["namespace"] = .string(namespace) }
        self.init(["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": .object(meta)])
    }

    // The identity is derived from `json`: equality and hashing are the JSON's.
    public static func == (a: Resource, b: Resource) -> Bool { a.json == b.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(json) }

    public var apiVersion: String {
        get { storage["apiVersion"]?.stringValue ?? "" }
        set { storage["apiVersion"] = .string(newValue) }
    }

    public var kind: String {
        get { identity.kind }
        set {
            storage["kind"] = .string(newValue)
            identity.kind = newValue
        }
    }

    public var metadata: JSON {
        get { json["metadata"] ?? .emptyObject }
        set { json["metadata"] = newValue }
    }

    public var spec: JSON? {
        get { storage["spec"] }
        set { storage["spec"] = newValue }
    }

    public var status: JSON? {
        get { storage["status"] }
        set { storage["status"] = newValue }
    }

    private func meta(_ key: String) -> JSON? { storage["metadata"]?[key] }

    /// Writes one metadata member; the caller updates the identity field it belongs to, if any.
    private mutating func setMeta(_ key: String, _ value: JSON?) {
        if storage["metadata"]?.objectValue == nil { storage["metadata"] = .emptyObject }
        storage["metadata"]?[key] = value
    }

    public var name: String {
        get { identity.name }
        set {
            setMeta("name", .string(newValue))
            identity.name = newValue
        }
    }

    public var generateName: String? { meta("generateName")?.stringValue }

    public var namespace: String {
        get { identity.namespace }
        set {
            setMeta("namespace", newValue.isEmpty ? nil : .string(newValue))
            identity.namespace = newValue
        }
    }

    public var uid: String {
        get { identity.uid }
        set {
            setMeta("uid", .string(newValue))
            identity.uid = newValue
        }
    }

    /// The resourceVersion as the integer the store assigns; 0 when absent or not a number.
    public var resourceVersion: Int64 {
        get { identity.resourceVersion }
        set {
            setMeta("resourceVersion", .string(String(newValue)))
            identity.resourceVersion = newValue
        }
    }

    public var resourceVersionString: String? { meta("resourceVersion")?.stringValue }

    public var generation: Int64 {
        get { meta("generation")?.intValue ?? 0 }
        set { setMeta("generation", .int(newValue)) }
    }

    public var creationTimestamp: String? {
        get { meta("creationTimestamp")?.stringValue }
        set { setMeta("creationTimestamp", newValue.map(JSON.string)) }
    }

    public var deletionTimestamp: String? {
        get { meta("deletionTimestamp")?.stringValue }
        set { setMeta("deletionTimestamp", newValue.map(JSON.string)) }
    }

    public var isDeleting: Bool { deletionTimestamp != nil }

    public var labels: [String: String] {
        get { meta("labels")?.stringMap ?? [:] }
        set { setMeta("labels", newValue.isEmpty ? nil : JSON(newValue)) }
    }

    public var annotations: [String: String] {
        get { meta("annotations")?.stringMap ?? [:] }
        set { setMeta("annotations", newValue.isEmpty ? nil : JSON(newValue)) }
    }

    public var finalizers: [String] {
        get { meta("finalizers")?.arrayValue?.compactMap(\.stringValue) ?? [] }
        set { setMeta("finalizers", newValue.isEmpty ? nil : JSON(newValue)) }
    }

    /// Adds the finalizers not there yet, after those that are; writes nothing when all are.
    public mutating func addFinalizers(_ names: [String]) {
        let missing = names.filter { !finalizers.contains($0) }
        if !missing.isEmpty { finalizers += missing }
    }

    public var ownerReferences: [OwnerReference] {
        get { meta("ownerReferences")?.arrayValue?.compactMap(OwnerReference.init(json:)) ?? [] }
        set { setMeta("ownerReferences", newValue.isEmpty ? nil : .array(newValue.map(\.json))) }
    }

    /// The reference to the `kind` owner that controls this object (as Kubernetes'
    /// `GetControllerOf`, narrowed to one kind), read without decoding the other references:
    /// every change of a Delivery asks for its Notification.
    public func controllerReference(kind: String) -> OwnerReference? {
        guard case .array(let references)? = meta("ownerReferences") else { return nil }
        for json in references where json["controller"]?.boolValue == true && json["kind"]?.stringValue == kind {
            if let reference = OwnerReference(json: json) { return reference }
        }
        return nil
    }

    public var managedFields: JSON? {
        get { meta("managedFields") }
        set { setMeta("managedFields", newValue) }
    }

    public var key: ObjectKey { ObjectKey(kind: identity.kind, namespace: identity.namespace, name: identity.name) }
}

/// Identifies a stored object: its kind, namespace ("" for cluster-scoped kinds) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: String
    public var namespace: String
    public var name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.kind, a.namespace, a.name) < (b.kind, b.namespace, b.name)
    }

    public var description: String { namespace.isEmpty ? "\(kind)/\(name)" : "\(kind) \(namespace)/\(name)" }
}

public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool

    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool = true,
        blockOwnerDeletion: Bool = true
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    public init?(json: JSON) {
        guard let uid = json["uid"]?.stringValue, let kind = json["kind"]?.stringValue,
            let name = json["name"]?.stringValue
        else { return nil }
        self.uid = uid
        self.kind = kind
        self.name = name
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        controller = json["controller"]?.boolValue ?? false
        blockOwnerDeletion = json["blockOwnerDeletion"]?.boolValue ?? false
    }

    public var json: JSON {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name),
            "uid": .string(uid), "controller": .bool(controller), "blockOwnerDeletion": .bool(blockOwnerDeletion),
        ]
    }
}
