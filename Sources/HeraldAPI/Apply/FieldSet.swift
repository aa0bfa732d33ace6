/// A set of field paths (leaves of an object; lists are atomic) in the `FieldsV1` shape that
/// Kubernetes keeps in `metadata.managedFields`.
public struct FieldSet: Sendable, Hashable {
    public var paths: Set<[String]>

    public init(_ paths: Set<[String]> = []) { self.paths = paths }

    /// Fields the server owns are never tracked.
    static let untracked: Set<[String]> = [
        ["apiVersion"], ["kind"], ["metadata", "name"], ["metadata", "namespace"], ["metadata", "uid"],
        ["metadata", "resourceVersion"], ["metadata", "generation"], ["metadata", "creationTimestamp"],
        ["metadata", "deletionTimestamp"], ["metadata", "managedFields"], ["metadata", "deletionGracePeriodSeconds"],
        ["status"],
    ]

    /// The leaves present in an object.
    public init(leavesOf json: JSON) {
        var paths: Set<[String]> = []
        FieldSet.collect(json, prefix: [], into: &paths)
        self.paths = paths
    }

    static func collect(_ json: JSON, prefix: [String], into paths: inout Set<[String]>) {
        if untracked.contains(prefix) { return }
        if case .object(let o) = json, !o.isEmpty {
            for (k, v) in o { collect(v, prefix: prefix + [k], into: &paths) }
        } else if !prefix.isEmpty {
            paths.insert(prefix)
        }
    }

    /// The leaves whose value differs between two objects (added, removed or changed).
    public static func changed(from old: JSON, to new: JSON) -> FieldSet {
        var paths: Set<[String]> = []
        diff(old, new, prefix: [], into: &paths)
        return FieldSet(paths)
    }

    static func diff(_ a: JSON?, _ b: JSON?, prefix: [String], into paths: inout Set<[String]>) {
        if untracked.contains(prefix) { return }
        if case .object(let ao)? = a, case .object(let bo)? = b {
            for k in Set(ao.keys).union(bo.keys) { diff(ao[k], bo[k], prefix: prefix + [k], into: &paths) }
            return
        }
        if a == b { return }
        // One side is a leaf (or missing): every leaf under either side changed.
        var sub: Set<[String]> = []
        if let a { collect(a, prefix: prefix, into: &sub) }
        if let b { collect(b, prefix: prefix, into: &sub) }
        if sub.isEmpty && !prefix.isEmpty { sub.insert(prefix) }
        paths.formUnion(sub)
    }

    public var fieldsV1: JSON {
        var root: JSON = .object([:])
        for path in paths {
            root.set(path: path.map { "f:" + $0 }, to: .object([:]))
        }
        return root
    }

    public init(fieldsV1: JSON) {
        var paths: Set<[String]> = []
        FieldSet.read(fieldsV1, prefix: [], into: &paths)
        self.paths = paths
    }

    static func read(_ json: JSON, prefix: [String], into paths: inout Set<[String]>) {
        guard case .object(let o) = json else { return }
        var hasChild = false
        for (k, v) in o where k.hasPrefix("f:") {
            hasChild = true
            read(v, prefix: prefix + [String(k.dropFirst(2))], into: &paths)
        }
        if !hasChild && !prefix.isEmpty { paths.insert(prefix) }
    }
}

/// One entry of `metadata.managedFields`.
public struct ManagedFieldsEntry: Sendable, Hashable {
    public var manager: String
    public var operation: String
    public var apiVersion: String
    public var time: String
    public var subresource: String?
    public var fields: FieldSet

    public init(
        manager: String, operation: String, apiVersion: String, time: String, subresource: String? = nil,
        fields: FieldSet
    ) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    public init?(json: JSON) {
        guard let manager = json["manager"]?.stringValue, let operation = json["operation"]?.stringValue else {
            return nil
        }
        self.manager = manager
        self.operation = operation
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        time = json["time"]?.stringValue ?? ""
        subresource = json["subresource"]?.stringValue
        fields = FieldSet(fieldsV1: json["fieldsV1"] ?? .object([:]))
    }

    public var json: JSON {
        var o: JSONObject = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
            "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1,
        ]
        if let subresource { o["subresource"] = .string(subresource) }
        return .object(o)
    }
}
