/// What the API server needs from a template renderer: syntax checks at admission and render
/// previews. Declared here so the API server stays independent of the workers; the `herald`
/// executable (and tests) pass the workers' Mustache renderer, so what admission accepts and what
/// a preview shows is exactly what a worker sends.
public protocol TemplateEngine: Sendable {
    /// Syntax errors in every Mustache string of a Template's `spec` (every part, every locale
    /// variant); empty when it parses.
    func syntaxErrors(in spec: JSON) -> [TemplateSyntaxIssue]

    /// Renders the part a channel type uses (`log` takes the first part present), with the
    /// worker's rules (escaping, locale fallback, missing variables refused).
    func render(_ spec: JSON, channelType: String, variables: JSON, locale: String?) throws(TemplateRenderIssue)
        -> TemplatePreview

    /// Renders one part (`email`, `push`, `sms`, `chat`, `webhook`).
    func render(_ spec: JSON, part: String, variables: JSON, locale: String?) throws(TemplateRenderIssue)
        -> TemplatePreview
}

/// A syntax error at a position in one template field.
public struct TemplateSyntaxIssue: Sendable, Hashable {
    /// Path inside the spec: `email.subject`, `locales.fr.email.html`.
    public var field: String
    /// 1-based, inside the field's text.
    public var line: Int
    public var column: Int
    /// Says what is wrong and where, for people.
    public var message: String

    public init(field: String, line: Int, column: Int, message: String) {
        self.field = field
        self.line = line
        self.column = column
        self.message = message
    }
}

/// Why a render failed.
public struct TemplateRenderIssue: Error, Sendable, Hashable {
    /// CamelCase: `MissingVariable`, `TemplatePartMissing`, `TemplateSyntaxError`, `TemplateInvalid`.
    public var code: String
    public var message: String
    /// For `MissingVariable`: each name and the field that needs it.
    public var missingVariables: [TemplateVariableUse]

    public init(code: String, message: String, missingVariables: [TemplateVariableUse] = []) {
        self.code = code
        self.message = message
        self.missingVariables = missingVariables
    }
}

/// A variable and the field that uses it (`email.subject`, or `variables` for a declared one).
public struct TemplateVariableUse: Sendable, Hashable {
    public var name: String
    public var field: String

    public init(name: String, field: String) {
        self.name = name
        self.field = field
    }
}

/// One rendered message, as a worker would send it.
public struct TemplatePreview: Sendable, Hashable {
    /// The part used; empty when the template had none (a `log` channel).
    public var part: String
    /// The `locales` key used, nil for the default content.
    public var locale: String?
    /// Rendered text fields (`subject`, `text`, `html`, `title`, `body`).
    public var fields: [String: String]
    public var data: JSON?
    /// The same `sha256:<hex>` a worker puts in `renderedDigest`.
    public var digest: String

    public init(part: String, locale: String?, fields: [String: String], data: JSON?, digest: String) {
        self.part = part
        self.locale = locale
        self.fields = fields
        self.data = data
        self.digest = digest
    }
}
