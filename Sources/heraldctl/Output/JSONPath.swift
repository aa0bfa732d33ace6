import HeraldAPI

/// A malformed JSONPath template.
struct JSONPathError: Error, Sendable, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The subset of Kubernetes JSONPath templates that `-o jsonpath=` and `wait --for=jsonpath=`
/// need: text with `{...}` actions holding paths (`.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`,
/// `[1:3]`, `..name`, `.*`, filters `[?(@.type=="Ready")]`), string literals (`{"\n"}`), and
/// `{range EXPR}...{end}`. Missing keys yield nothing, as in `kubectl get`.
struct JSONPath: Sendable {
    indirect enum Node: Sendable, Equatable {
        case text(String)
        case path(Expression)
        case range(Expression, [Node])
    }

    struct Expression: Sendable, Equatable {
        /// Whether the path starts at the root (`$`) instead of the current value.
        var fromRoot: Bool
        var steps: [Step]
    }

    enum Step: Sendable, Equatable {
        case field(String)
        case recursive(String)
        case wildcard
        case index(Int)
        case slice(Int?, Int?)
        case union([String])
        case filter(Filter)
    }

    struct Filter: Sendable, Equatable {
        var lhs: Expression
        /// nil: an existence test (`[?(@.x)]`).
        var op: String?
        var rhs: JSON?
    }

    let nodes: [Node]
    let template: String

    init(_ template: String) throws(JSONPathError) {
        self.template = template
        var parser = TemplateParser(chars: Array(template))
        nodes = try parser.parseNodes(insideRange: false)
    }

    /// Renders the template against `data`.
    func execute(_ data: JSON) -> String {
        var out = ""
        JSONPath.render(nodes, root: data, current: data, into: &out)
        return out
    }

    /// The values the first path of the template selects (for `wait --for=jsonpath`).
    func values(_ data: JSON) -> [JSON] {
        for node in nodes {
            if case .path(let expression) = node { return JSONPath.evaluate(expression, root: data, current: data) }
        }
        return []
    }

    static func render(_ nodes: [Node], root: JSON, current: JSON, into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .path(let expression):
                let results = evaluate(expression, root: root, current: current)
                out += results.map(format).joined(separator: " ")
            case .range(let expression, let body):
                var items = evaluate(expression, root: root, current: current)
                if items.count == 1, case .array(let elements) = items[0] { items = elements }
                for item in items {
                    render(body, root: root, current: item, into: &out)
                }
            }
        }
    }

    /// Strings print raw, other scalars as JSON, maps and lists as compact JSON (as kubectl).
    static func format(_ value: JSON) -> String {
        switch value {
        case .string(let s): return s
        default: return value.serializedString()
        }
    }

    static func evaluate(_ expression: Expression, root: JSON, current: JSON) -> [JSON] {
        var values = [expression.fromRoot ? root : current]
        for step in expression.steps {
            values = values.flatMap { apply(step, to: $0, root: root) }
        }
        return values
    }

    static func apply(_ step: Step, to value: JSON, root: JSON) -> [JSON] {
        switch step {
        case .field(let name):
            if let v = value[name] { return [v] }
            return []
        case .recursive(let name):
            var found: [JSON] = []
            collect(name, in: value, into: &found)
            return found
        case .wildcard:
            switch value {
            case .array(let a): return a
            case .object(let o): return o.values.map(\.self)
            default: return []
            }
        case .index(let i):
            guard case .array(let a) = value else { return [] }
            let index = i < 0 ? a.count + i : i
            return a.indices.contains(index) ? [a[index]] : []
        case .slice(let start, let end):
            guard case .array(let a) = value else { return [] }
            func clamp(_ v: Int) -> Int { min(max(v < 0 ? a.count + v : v, 0), a.count) }
            let from = clamp(start ?? 0)
            let to = clamp(end ?? a.count)
            return from < to ? Array(a[from..<to]) : []
        case .union(let keys):
            return keys.flatMap { key -> [JSON] in
                if let i = Int(key) { return apply(.index(i), to: value, root: root) }
                return apply(.field(key), to: value, root: root)
            }
        case .filter(let filter):
            guard case .array(let a) = value else { return [] }
            return a.filter { matches(filter, $0, root: root) }
        }
    }

    static func collect(_ name: String, in value: JSON, into found: inout [JSON]) {
        switch value {
        case .object(let o):
            if let v = o[name] { found.append(v) }
            for child in o.values { collect(name, in: child, into: &found) }
        case .array(let a):
            for child in a { collect(name, in: child, into: &found) }
        default:
            break
        }
    }

    static func matches(_ filter: Filter, _ item: JSON, root: JSON) -> Bool {
        let left = evaluate(filter.lhs, root: root, current: item)
        guard let op = filter.op, let rhs = filter.rhs else { return !left.isEmpty }
        guard let lhs = left.first else { return false }
        switch op {
        case "==": return equal(lhs, rhs)
        case "!=": return !equal(lhs, rhs)
        default:
            guard let a = lhs.doubleValue ?? lhs.stringValue.flatMap(Double.init),
                let b = rhs.doubleValue ?? rhs.stringValue.flatMap(Double.init)
            else { return false }
            switch op {
            case "<": return a < b
            case "<=": return a <= b
            case ">": return a > b
            case ">=": return a >= b
            default: return false
            }
        }
    }

    /// Numbers compare by value whatever their JSON spelling; everything else exactly.
    static func equal(_ a: JSON, _ b: JSON) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }
}

/// Parses template text into nodes.
private struct TemplateParser {
    let chars: [Character]
    var index = 0

    func fail(_ reason: String) -> JSONPathError {
        JSONPathError(message: "error parsing jsonpath \(String(chars)), \(reason)")
    }

    mutating func parseNodes(insideRange: Bool) throws(JSONPathError) -> [JSONPath.Node] {
        var nodes: [JSONPath.Node] = []
        var text = ""
        while index < chars.count {
            let c = chars[index]
            if c != "{" {
                text.append(c)
                index += 1
                continue
            }
            if !text.isEmpty {
                nodes.append(.text(text))
                text = ""
            }
            let action = try readAction()
            let trimmed = action.trimmed
            if trimmed == "end" {
                guard insideRange else { throw fail("not in range, nothing to end") }
                return nodes
            }
            if trimmed.hasPrefix("range ") || trimmed.hasPrefix("range\t") {
                let expression = try parseExpression(String(trimmed.dropFirst(6)).trimmed)
                let body = try parseNodes(insideRange: true)
                nodes.append(.range(expression, body))
                continue
            }
            if let literal = try stringLiteral(trimmed) {
                nodes.append(.text(literal))
                continue
            }
            if trimmed.isEmpty { continue }
            nodes.append(.path(try parseExpression(trimmed)))
        }
        if insideRange { throw fail("range without end") }
        if !text.isEmpty { nodes.append(.text(text)) }
        return nodes
    }

    /// Reads from `{` to its matching `}`, skipping braces inside quotes.
    mutating func readAction() throws(JSONPathError) -> String {
        index += 1
        var out = ""
        var quote: Character?
        while index < chars.count {
            let c = chars[index]
            index += 1
            if let q = quote {
                out.append(c)
                if c == "\\", index < chars.count {
                    out.append(chars[index])
                    index += 1
                } else if c == q {
                    quote = nil
                }
                continue
            }
            if c == "\"" || c == "'" { quote = c }
            if c == "}" { return out }
            out.append(c)
        }
        throw fail("unclosed action")
    }

    /// A whole-action string literal such as `"\n"` or `'-'`, unescaped.
    func stringLiteral(_ text: String) throws(JSONPathError) -> String? {
        guard let first = text.first, first == "\"" || first == "'" else { return nil }
        guard text.count >= 2, text.last == first else { throw fail("unterminated string \(text)") }
        return TemplateParser.unescape(String(text.dropFirst().dropLast()))
    }

    static func unescape(_ text: String) -> String {
        var out = ""
        var escaped = false
        for c in text {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    func parseExpression(_ text: String) throws(JSONPathError) -> JSONPath.Expression {
        var scanner = PathScanner(chars: Array(text), template: String(chars))
        return try scanner.parse()
    }
}

/// Parses one path expression (`.items[*].metadata.name`, `$.a`, `@.b`).
private struct PathScanner {
    let chars: [Character]
    let template: String
    var index = 0

    func fail(_ reason: String) -> JSONPathError {
        JSONPathError(message: "error parsing jsonpath \(template), \(reason)")
    }

    mutating func parse() throws(JSONPathError) -> JSONPath.Expression {
        var fromRoot = false
        if index < chars.count, chars[index] == "$" {
            fromRoot = true
            index += 1
        } else if index < chars.count, chars[index] == "@" {
            index += 1
        }
        var steps: [JSONPath.Step] = []
        // `{metadata.name}` without the leading dot is accepted, as kubectl relaxes it.
        if index < chars.count, chars[index] != "." && chars[index] != "[" {
            steps.append(.field(readName()))
        }
        while index < chars.count {
            let c = chars[index]
            if c == "." {
                index += 1
                if index < chars.count, chars[index] == "." {
                    index += 1
                    let name = readName()
                    guard !name.isEmpty else { throw fail("expected a name after ..") }
                    steps.append(.recursive(name))
                } else if index < chars.count, chars[index] == "*" {
                    index += 1
                    steps.append(.wildcard)
                } else {
                    let name = readName()
                    // A lone trailing dot (`{.}`) means the current value itself.
                    if !name.isEmpty { steps.append(.field(name)) }
                }
            } else if c == "[" {
                steps.append(try readBracket())
            } else {
                throw fail("unrecognized character in action: \(c)")
            }
        }
        return JSONPath.Expression(fromRoot: fromRoot, steps: steps)
    }

    mutating func readName() -> String {
        var name = ""
        while index < chars.count, chars[index] != ".", chars[index] != "[" {
            name.append(chars[index])
            index += 1
        }
        return name
    }

    mutating func readBracket() throws(JSONPathError) -> JSONPath.Step {
        index += 1
        var content = ""
        var quote: Character?
        var depth = 0
        while index < chars.count {
            let c = chars[index]
            index += 1
            if let q = quote {
                content.append(c)
                if c == q { quote = nil }
                continue
            }
            if c == "\"" || c == "'" { quote = c }
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == "]" && depth == 0 { return try step(for: content.trimmed) }
            content.append(c)
        }
        throw fail("unterminated array")
    }

    func step(for content: String) throws(JSONPathError) -> JSONPath.Step {
        if content == "*" { return .wildcard }
        if content.hasPrefix("?(") && content.hasSuffix(")") {
            return .filter(try filter(String(content.dropFirst(2).dropLast())))
        }
        if let i = Int(content) { return .index(i) }
        if content.contains(":"), !content.hasPrefix("'"), !content.hasPrefix("\"") {
            let parts = content.split(separator: ":", omittingEmptySubsequences: false).map {
                $0.trimmed
            }
            guard parts.count >= 2 else { throw fail("invalid slice \(content)") }
            func bound(_ s: String) throws(JSONPathError) -> Int? {
                if s.isEmpty { return nil }
                guard let v = Int(s) else { throw fail("invalid array index \(s)") }
                return v
            }
            return .slice(try bound(parts[0]), try bound(parts[1]))
        }
        let keys = content.split(separator: ",").map { key -> String in
            let k = key.trimmed
            if let f = k.first, f == "'" || f == "\"", k.count >= 2, k.last == f {
                return String(k.dropFirst().dropLast())
            }
            return k
        }
        if keys.count == 1, let key = keys.first { return Int(key).map { .index($0) } ?? .field(key) }
        return .union(keys)
    }

    func filter(_ text: String) throws(JSONPathError) -> JSONPath.Filter {
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            guard let range = text.range(of: op) else { continue }
            let lhsText = text[..<range.lowerBound].trimmed
            let rhsText = text[range.upperBound...].trimmed
            var scanner = PathScanner(chars: Array(lhsText), template: template)
            return JSONPath.Filter(lhs: try scanner.parse(), op: op, rhs: literal(rhsText))
        }
        var scanner = PathScanner(chars: Array(text.trimmed), template: template)
        return JSONPath.Filter(lhs: try scanner.parse(), op: nil, rhs: nil)
    }

    func literal(_ text: String) -> JSON {
        if let f = text.first, f == "'" || f == "\"", text.count >= 2, text.last == f {
            return .string(String(text.dropFirst().dropLast()))
        }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if text == "null" { return .null }
        if let i = Int64(text) { return .int(i) }
        if let d = Double(text) { return .double(d) }
        return .string(text)
    }
}
