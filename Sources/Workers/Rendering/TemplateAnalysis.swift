import HeraldAPI

/// Pure checks over template content, for the controller (the Notification's `Accepted`
/// condition), the API server (a 422 with the position at apply, the Template's `Valid`
/// condition) and previews. They use the same renderer as sending, so what they accept is what
/// a worker will send.
public enum TemplateAnalysis {
    /// Syntax problems in every Mustache string of every part and locale variant (push data
    /// strings included). Empty when the template parses.
    public static func syntaxProblems(in template: JSON, renderer: TemplateRenderer = .shared) -> [TemplateSyntaxProblem] {
        var problems: [TemplateSyntaxProblem] = []
        for (field, source, kind) in allFields(template) {
            do { _ = try renderer.compile(source, kind: kind, field: field) } catch {
                if case .syntax(let p) = error { problems.append(p) }
            }
        }
        return problems
    }

    /// The variables the template needs from a notification, across the given parts (all when
    /// nil) and every locale variant: `required` are rendered as text outside any section and
    /// have no default (or are declared `required: true`); `optional` are only tested by
    /// sections, have a default, or are declared not required. Names inside a section are only
    /// needed when the section renders, so the render-time check covers them.
    public static func variableUsage(
        of template: JSON, parts: [String]? = nil, renderer: TemplateRenderer = .shared
    ) -> TemplateVariableUsage {
        guard let scope = try? VariableScope(template: template, variables: .emptyObject) else {
            return TemplateVariableUsage(required: [], optional: [])
        }
        var required = Set(scope.missingRequired.map(\.name))
        var optional = scope.optional.union(scope.values.keys)
        for (field, source, kind) in allFields(template, parts: parts) {
            guard let compiled = try? renderer.compile(source, kind: kind, field: field) else { continue }
            let collector = MissCollector()
            _ = compiled.render(scope.root(collector))
            required.formUnion(collector.missing)
            optional.formUnion(collector.tested)
        }
        optional.subtract(required)
        return TemplateVariableUsage(required: required.sorted(), optional: optional.sorted())
    }

    /// The variables that are missing for sending over these channel types to a recipient with
    /// this locale: rendering is done for real (pure, no I/O), so names inside sections that
    /// would render are checked too. Empty when everything is provided.
    public static func missingVariables(
        template: JSON, variables: JSON, channelTypes: [String], locale: String?, renderer: TemplateRenderer = .shared
    ) -> [MissingVariable] {
        problems(template: template, variables: variables, channelTypes: channelTypes, locale: locale, renderer: renderer)
            .flatMap { problem -> [MissingVariable] in
                if case .missingVariables(let vars) = problem { return vars }
                return []
            }
    }

    /// Everything that would stop a send: syntax errors, a part a channel type needs and the
    /// template lacks, missing variables. Empty when the notification can be sent.
    public static func problems(
        template: JSON, variables: JSON, channelTypes: [String], locale: String?, renderer: TemplateRenderer = .shared
    ) -> [TemplateError] {
        var out: [TemplateError] = syntaxProblems(in: template, renderer: renderer).map { .syntax($0) }
        if !out.isEmpty { return out }
        var missing: [MissingVariable] = []
        var seenParts = Set<String>()
        for type in channelTypes {
            let key = TemplateContent.part(forChannelType: type) ?? "log"
            guard seenParts.insert(key).inserted else { continue }
            do {
                _ = try renderer.render(template, channelType: type, variables: variables, locale: locale)
            } catch {
                if case .missingVariables(let vars) = error { missing += vars } else { out.append(error) }
            }
        }
        if !missing.isEmpty { out.append(.missingVariables(TemplateRenderer.unique(missing))) }
        return out
    }

    /// `sha256:<hex>` of the template content, for `Template.status.digest`.
    public static func digest(of template: JSON) -> String {
        RenderedMessage.digest(of: template)
    }

    /// Every Mustache string in the content with its field path and escaping.
    static func allFields(_ template: JSON, parts: [String]? = nil) -> [(String, String, FieldKind)] {
        var out: [(String, String, FieldKind)] = []
        func collect(_ content: JSON, prefix: String) {
            for part in TemplateContent.partNames where parts == nil || parts?.contains(part) == true {
                guard let p = content[part] else { continue }
                for (name, kind) in TemplatePartLayout.fields(of: part) {
                    if let s = p[name]?.stringValue { out.append(("\(prefix)\(part).\(name)", s, kind)) }
                }
                if TemplatePartLayout.hasData(part), let data = p["data"] {
                    collectData(data, field: "\(prefix)\(part).data")
                }
            }
        }
        func collectData(_ value: JSON, field: String) {
            switch value {
            case .string(let s): out.append((field, s, .text))
            case .array(let a): for (i, v) in a.enumerated() { collectData(v, field: "\(field)[\(i)]") }
            case .object(let o): for (k, v) in o { collectData(v, field: "\(field).\(k)") }
            default: break
            }
        }
        collect(template, prefix: "")
        if let locales = template["locales"]?.objectValue {
            for key in locales.keys.sorted() {
                if let v = locales[key] { collect(v, prefix: "locales.\(key).") }
            }
        }
        return out
    }
}

/// What a template needs from the notification's variables.
public struct TemplateVariableUsage: Sendable, Hashable {
    /// Must be provided: rendered as text with no default.
    public var required: [String]
    /// May be absent: only tested by sections, defaulted, or declared not required.
    public var optional: [String]

    public init(required: [String], optional: [String]) {
        self.required = required
        self.optional = optional
    }
}
