/// A JSON document held as a value.
///
/// Herald keeps resources as JSON values rather than typed structs at the storage and API layers,
/// because the Kubernetes conventions it follows (merge patch, JSON patch, server-side apply,
/// unknown-field pruning) are defined over untyped JSON. Typed views decode from it when needed.
public enum JSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    public static let emptyObject = JSON.object([:])
}

extension JSON {
    public subscript(key: String) -> JSON? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        // In place, so `json["metadata"]?["name"] = x` does not copy each object on the path.
        _modify {
            guard case .object(var o) = self else {
                // Like the setter, writing a member of a non-object changes nothing.
                var ignored: JSON? = nil
                yield &ignored
                return
            }
            // Drop self's reference first, so `o` is the only owner and is not copied on write.
            self = .null
            defer { self = .object(o) }
            yield &o[key]
        }
    }

    /// Reads a nested value by a dotted-free key path.
    public subscript(path path: [String]) -> JSON? {
        var current: JSON? = self
        for key in path {
            current = current?[key]
        }
        return current
    }

    /// Writes a nested value, creating intermediate objects; `nil` removes the leaf.
    public mutating func set(path: ArraySlice<String>, to value: JSON?) {
        guard let first = path.first else {
            if let value { self = value }
            return
        }
        guard case .object(var o) = self else {
            if value == nil { return }
            self = .object([:])
            set(path: path, to: value)
            return
        }
        // Drop self's reference first, so `o` (and each child below) is mutated in place.
        self = .null
        defer { self = .object(o) }
        if path.count == 1 {
            o[first] = value
        } else {
            if case .object = o[first] {} else { o[first] = .object([:]) }
            o[first]?.set(path: path.dropFirst(), to: value)
        }
    }

    public mutating func set(path: [String], to value: JSON?) {
        set(path: path[...], to: value)
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name used in validation messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// A map of strings (labels, annotations), ignoring non-string values.
    public var stringMap: [String: String] {
        guard case .object(let o) = self else { return [:] }
        var out: [String: String] = [:]
        out.reserveCapacity(o.count)
        for (k, v) in o {
            if case .string(let s) = v { out[k] = s }
        }
        return out
    }

    public init(_ map: [String: String]) {
        self = .object(JSONObject(unsorted: map.lazy.map { ($0.key, .string($0.value)) }))
    }

    public init(_ strings: [String]) {
        self = .array(strings.map { .string($0) })
    }
}

/// Numbers compare by value, as in JSON itself: `2`, `2.0` and `2e0` are the same number.
extension JSON: Hashable {
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o): hasher.combine(o)
        }
    }
}

// No ExpressibleByNilLiteral: with it, `json[key] == nil` would silently mean "is JSON null".
extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(JSONObject(unsorted: elements))
    }
}
