/// One problem with one field, in the shape of a Kubernetes `StatusCause`.
public struct FieldError: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case typeInvalid = "FieldValueTypeInvalid"
        case duplicate = "FieldValueDuplicate"
        case tooLong = "FieldValueTooLong"
        case forbidden = "FieldValueForbidden"
        case unknown = "FieldValueUnknown"
    }

    public var path: String
    public var reason: Reason
    public var message: String

    public init(_ path: String, _ reason: Reason, _ message: String) {
        self.path = path
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// An object that failed validation; every problem is listed, not just the first.
public struct ValidationError: Error, Sendable, CustomStringConvertible {
    public var kind: String
    public var name: String
    public var errors: [FieldError]

    public init(kind: String, name: String, errors: [FieldError]) {
        self.kind = kind
        self.name = name
        self.errors = errors
    }

    public var description: String {
        let list = errors.map(\.description).joined(separator: ", ")
        return "\(kind).herald.dev \"\(name)\" is invalid: \(list)"
    }
}

public enum Validation {
    /// DNS-1123 subdomain: what Kubernetes requires of most object names.
    public static func dns1123SubdomainProblem(_ s: String) -> String? {
        if s.isEmpty { return "must not be empty" }
        if s.utf8.count > 253 { return "must be no more than 253 characters" }
        for label in s.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty || !isDNSLabelBody(label) {
                return
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            }
        }
        return nil
    }

    /// DNS-1123 label: namespaces.
    public static func dns1123LabelProblem(_ s: String) -> String? {
        if s.isEmpty { return "must not be empty" }
        if s.utf8.count > 63 { return "must be no more than 63 characters" }
        if !isDNSLabelBody(Substring(s)) {
            return
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        }
        return nil
    }

    static func isDNSLabelBody(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// Qualified name: `[prefix/]name`, where name is up to 63 of `[A-Za-z0-9._-]` starting and ending alphanumeric.
    public static func labelKeyProblem(_ key: String) -> String? {
        var name = Substring(key)
        if let slash = key.firstIndex(of: "/") {
            let prefix = String(key[..<slash])
            if let p = dns1123SubdomainProblem(prefix) { return "prefix part \(p)" }
            name = key[key.index(after: slash)...]
        }
        if name.isEmpty { return "name part must not be empty" }
        if name.utf8.count > 63 { return "name part must be no more than 63 characters" }
        if !isQualifiedBody(name) {
            return
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    public static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > 63 { return "must be no more than 63 characters" }
        if !isQualifiedBody(Substring(value)) {
            return
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    static func isQualifiedBody(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }
}
