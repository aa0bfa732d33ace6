/// Why a template cannot be rendered. Every case says where and what to do; the controller uses
/// the same values for the Notification's `Accepted` condition and the API server for a 422.
public enum TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A Mustache syntax error in one field.
    case syntax(TemplateSyntaxProblem)
    /// Variables the template needs that the notification does not provide.
    case missingVariables([MissingVariable])
    /// The template has no part for this channel type (e.g. no `sms` for a twilio channel).
    case partMissing(part: String, channelType: String)
    /// A field has the wrong JSON type (e.g. `email.subject` is a number).
    case invalidField(field: String, problem: String)

    public var description: String {
        switch self {
        case .syntax(let p): return p.description
        case .missingVariables(let vars):
            let list = vars.map { "\($0.name) (in \($0.field))" }.joined(separator: ", ")
            return
                "missing template variables: \(list); add them to the Notification's spec.variables or give them a default in the Template's spec.variables"
        case .partMissing(let part, let type):
            return
                "the template has no \(part) part, which a \(type) channel needs; add spec.\(part) to the Template or use another channel"
        case .invalidField(let field, let problem):
            return "template field \(field) \(problem)"
        }
    }

    /// The CamelCase code reported in results and conditions.
    public var code: String {
        switch self {
        case .syntax: return "TemplateSyntaxError"
        case .missingVariables: return "MissingVariable"
        case .partMissing: return "TemplatePartMissing"
        case .invalidField: return "TemplateInvalid"
        }
    }
}

/// A syntax error at a position in one template field.
public struct TemplateSyntaxProblem: Sendable, Hashable, CustomStringConvertible {
    /// Path inside the Template's spec, such as `email.subject` or `locales.fr.email.html`.
    public var field: String
    /// 1-based line and column inside the field's text.
    public var line: Int
    public var column: Int
    public var reason: String
    /// The offending line, for people.
    public var excerpt: String

    public init(field: String, line: Int, column: Int, reason: String, excerpt: String) {
        self.field = field
        self.line = line
        self.column = column
        self.reason = reason
        self.excerpt = excerpt
    }

    public var description: String {
        "template syntax error in \(field) at line \(line), column \(column): \(reason) (\"\(excerpt)\")"
    }
}

/// A variable a template needs and the notification does not provide.
public struct MissingVariable: Sendable, Hashable, CustomStringConvertible {
    /// The name as written in the template (`name`, `user.email`).
    public var name: String
    /// The field that needs it (`email.subject`), or `variables` for a declared required variable.
    public var field: String

    public init(name: String, field: String) {
        self.name = name
        self.field = field
    }

    public var description: String { "\(name) (in \(field))" }
}
