/// A JSON patch that cannot be applied, with the operation that failed.
public struct JSONPatchError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// A failed `test` op is a precondition failure (409), not malformed input (422).
    public var isTestFailure: Bool
    public var description: String { message }
}

extension JSON {
    /// RFC 6902 JSON patch (add, remove, replace, move, copy, test) with RFC 6901 pointers.
    public func applyingJSONPatch(_ patch: JSON) throws(JSONPatchError) -> JSON {
        guard case .array(let ops) = patch else {
            throw JSONPatchError(message: "a JSON patch must be an array of operations", isTestFailure: false)
        }
        var doc = self
        for (i, op) in ops.enumerated() {
            guard let name = op["op"]?.stringValue, let pathText = op["path"]?.stringValue else {
                throw JSONPatchError(message: "operation \(i) needs \"op\" and \"path\"", isTestFailure: false)
            }
            let path = try JSON.pointer(pathText)
            switch name {
            case "add":
                guard let value = op["value"] else { throw missing("value", i) }
                try doc.patchAdd(path[...], value, replace: false)
            case "remove":
                _ = try doc.patchRemove(path[...])
            case "replace":
                guard let value = op["value"] else { throw missing("value", i) }
                _ = try doc.patchRemove(path[...])
                try doc.patchAdd(path[...], value, replace: true)
            case "move", "copy":
                guard let fromText = op["from"]?.stringValue else { throw missing("from", i) }
                let from = try JSON.pointer(fromText)
                guard let value = doc.patchGet(from[...]) else {
                    throw JSONPatchError(message: "operation \(i): \"from\" path \(fromText) does not exist", isTestFailure: false)
                }
                if name == "move" { _ = try doc.patchRemove(from[...]) }
                try doc.patchAdd(path[...], value, replace: false)
            case "test":
                guard let value = op["value"] else { throw missing("value", i) }
                guard let current = doc.patchGet(path[...]), current.equalsNumerically(value) else {
                    throw JSONPatchError(
                        message: "test operation \(i) failed: \(pathText) does not equal the given value", isTestFailure: true)
                }
            default:
                throw JSONPatchError(message: "operation \(i): unknown op \"\(name)\"", isTestFailure: false)
            }
        }
        return doc
    }

    func equalsNumerically(_ other: JSON) -> Bool {
        if let a = doubleValue, let b = other.doubleValue { return a == b }
        return self == other
    }

    private func missing(_ field: String, _ i: Int) -> JSONPatchError {
        JSONPatchError(message: "operation \(i) needs \"\(field)\"", isTestFailure: false)
    }

    static func pointer(_ text: String) throws(JSONPatchError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else {
            throw JSONPatchError(message: "path \"\(text)\" must start with /", isTestFailure: false)
        }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    func patchGet(_ path: ArraySlice<String>) -> JSON? {
        guard let first = path.first else { return self }
        switch self {
        case .object(let o): return o[first]?.patchGet(path.dropFirst())
        case .array(let a):
            guard let i = Int(first), a.indices.contains(i) else { return nil }
            return a[i].patchGet(path.dropFirst())
        default: return nil
        }
    }

    mutating func patchAdd(_ path: ArraySlice<String>, _ value: JSON, replace: Bool) throws(JSONPatchError) {
        guard let first = path.first else {
            self = value
            return
        }
        switch self {
        case .object(var o):
            if path.count == 1 {
                o[first] = value
            } else {
                guard var child = o[first] else {
                    throw JSONPatchError(message: "path segment \"\(first)\" does not exist", isTestFailure: false)
                }
                try child.patchAdd(path.dropFirst(), value, replace: replace)
                o[first] = child
            }
            self = .object(o)
        case .array(var a):
            if path.count == 1 {
                if first == "-" {
                    a.append(value)
                } else if let i = Int(first), i >= 0, i <= a.count {
                    a.insert(value, at: i)
                } else {
                    throw JSONPatchError(message: "array index \"\(first)\" is out of range", isTestFailure: false)
                }
            } else {
                guard let i = Int(first), a.indices.contains(i) else {
                    throw JSONPatchError(message: "array index \"\(first)\" is out of range", isTestFailure: false)
                }
                try a[i].patchAdd(path.dropFirst(), value, replace: replace)
            }
            self = .array(a)
        default:
            throw JSONPatchError(message: "cannot add below a \(typeName) at \"\(first)\"", isTestFailure: false)
        }
    }

    mutating func patchRemove(_ path: ArraySlice<String>) throws(JSONPatchError) -> JSON {
        guard let first = path.first else {
            throw JSONPatchError(message: "cannot remove the whole document", isTestFailure: false)
        }
        switch self {
        case .object(var o):
            let removed: JSON
            if path.count == 1 {
                guard let v = o.removeValue(forKey: first) else {
                    throw JSONPatchError(message: "path \"/\(path.joined(separator: "/"))\" does not exist", isTestFailure: false)
                }
                removed = v
            } else {
                guard var child = o[first] else {
                    throw JSONPatchError(message: "path segment \"\(first)\" does not exist", isTestFailure: false)
                }
                removed = try child.patchRemove(path.dropFirst())
                o[first] = child
            }
            self = .object(o)
            return removed
        case .array(var a):
            guard let i = Int(first), a.indices.contains(i) else {
                throw JSONPatchError(message: "array index \"\(first)\" is out of range", isTestFailure: false)
            }
            let removed: JSON
            if path.count == 1 {
                removed = a.remove(at: i)
            } else {
                removed = try a[i].patchRemove(path.dropFirst())
            }
            self = .array(a)
            return removed
        default:
            throw JSONPatchError(message: "path segment \"\(first)\" does not exist", isTestFailure: false)
        }
    }
}
