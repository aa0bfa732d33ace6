/// A parsed label selector (`app=web,tier!=db,env in (a,b),env notin (c),team,!legacy`).
public struct LabelSelector: Sendable, Hashable {
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)

        func matches(_ label: (String) -> String?) -> Bool {
            switch self {
            case .equals(let k, let v): return label(k) == v
            case .notEquals(let k, let v): return label(k) != v
            case .in(let k, let vs): return label(k).map(vs.contains) ?? false
            case .notIn(let k, let vs): return label(k).map { !vs.contains($0) } ?? true
            case .exists(let k): return label(k) != nil
            case .doesNotExist(let k): return label(k) == nil
            }
        }
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) {
        self.requirements = requirements
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches { labels[$0] } }
    }

    /// Matches an object's labels where they are stored, without building a dictionary of them:
    /// selectors run over every object of a list, and a plan's over every Recipient it may name.
    public func matches(labelsOf object: Resource) -> Bool {
        let labels = object.metadata["labels"]
        return requirements.allSatisfy { r in r.matches { labels?[$0]?.stringValue } }
    }

    /// Parses the query-string form used by `?labelSelector=` and `-l`.
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for term in Self.splitTerms(text) {
            let t = term.trimmingSpaces()
            if t.isEmpty { continue }
            requirements.append(try Self.parseTerm(t))
        }
        self.requirements = requirements
    }

    /// Splits on commas that are not inside a parenthesised value set.
    static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == "," && depth == 0 {
                terms.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        terms.append(current)
        return terms
    }

    static func parseTerm(_ t: String) throws(SelectorError) -> Requirement {
        if t.hasPrefix("!") {
            let key = String(t.dropFirst()).trimmingSpaces()
            try validateKey(key)
            return .doesNotExist(key)
        }
        for (op, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = t.range(of: op) {
                let key = String(t[..<range.lowerBound]).trimmingSpaces()
                let value = String(t[range.upperBound...]).trimmingSpaces()
                try validateKey(key)
                try validateValue(value)
                return make(key, value)
            }
        }
        let words = t.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        if words.count >= 2, words[1] == "in" || words[1] == "notin" {
            let key = words[0]
            try validateKey(key)
            let rest = t.drop { $0 != "(" }
            guard rest.hasPrefix("("), rest.hasSuffix(")") else {
                throw SelectorError(message: "expected a parenthesised value list in \"\(t)\"")
            }
            let values = rest.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingSpaces() }
            for v in values { try validateValue(v) }
            return words[1] == "in" ? .in(key, Set(values)) : .notIn(key, Set(values))
        }
        guard words.count == 1 else { throw SelectorError(message: "cannot parse label selector term \"\(t)\"") }
        try validateKey(t)
        return .exists(t)
    }

    static func validateKey(_ key: String) throws(SelectorError) {
        if let problem = Validation.labelKeyProblem(key) {
            throw SelectorError(message: "invalid label key \"\(key)\": \(problem)")
        }
    }

    static func validateValue(_ value: String) throws(SelectorError) {
        if let problem = Validation.labelValueProblem(value) {
            throw SelectorError(message: "invalid label value \"\(value)\": \(problem)")
        }
    }

    /// The structured form used in manifests (`matchLabels`, `matchExpressions`).
    public init(json: JSON) throws(SelectorError) {
        var requirements: [Requirement] = []
        for (k, v) in (json["matchLabels"]?.stringMap ?? [:]).sorted(by: { $0.key < $1.key }) {
            requirements.append(.equals(k, v))
        }
        for expr in json["matchExpressions"]?.arrayValue ?? [] {
            guard let key = expr["key"]?.stringValue, let op = expr["operator"]?.stringValue else {
                throw SelectorError(message: "matchExpressions entries need key and operator")
            }
            let values = Set(expr["values"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            switch op {
            case "In": requirements.append(.in(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: throw SelectorError(message: "unknown operator \"\(op)\" (In, NotIn, Exists, DoesNotExist)")
            }
        }
        self.requirements = requirements
    }
}

public struct SelectorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// A parsed field selector (`metadata.name=x,status.phase!=Failed`); only equality tests exist.
public struct FieldSelector: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public var isEmpty: Bool { requirements.isEmpty }

    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for term in text.split(separator: ",") {
            let t = String(term).trimmingSpaces()
            if t.isEmpty { continue }
            if let r = t.range(of: "!=") {
                requirements.append(.init(field: String(t[..<r.lowerBound]), value: String(t[r.upperBound...]), negated: true))
            } else if let r = t.range(of: "==") ?? t.range(of: "=") {
                requirements.append(.init(field: String(t[..<r.lowerBound]), value: String(t[r.upperBound...]), negated: false))
            } else {
                throw SelectorError(message: "invalid field selector term \"\(t)\": expected field=value or field!=value")
            }
        }
        self.requirements = requirements
    }

    /// The value a `metadata.name=` term pins, which stores can use as an index lookup.
    public var pinnedName: String? {
        requirements.first { $0.field == "metadata.name" && !$0.negated }?.value
    }

    public var pinnedNamespace: String? {
        requirements.first { $0.field == "metadata.namespace" && !$0.negated }?.value
    }

    public func matches(_ fieldValue: (String) -> String?) -> Bool {
        requirements.allSatisfy { r in
            let v = fieldValue(r.field) ?? ""
            return r.negated ? v != r.value : v == r.value
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
