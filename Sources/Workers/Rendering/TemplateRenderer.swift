import HeraldAPI
import Mustache
import Synchronization

/// Renders template content (a Template's spec, or an inline message turned into one) with
/// swift-mustache: per-channel parts, HTML escaping in `email.html` only, JSON escaping in the
/// webhook body, the locale fallback chain, and refusal of missing variables.
///
/// Parsed templates are cached by source text, so a busy worker parses each template once.
public final class TemplateRenderer: Sendable {
    /// One renderer for the process; rendering is stateless apart from the parse cache.
    public static let shared = TemplateRenderer()

    private let cache: Mutex<[CacheKey: MustacheTemplate]>
    private let cacheLimit: Int

    public init(cacheLimit: Int = 4096) {
        _ = JSONStringContentType.registered
        cache = Mutex([:])
        self.cacheLimit = cacheLimit
    }

    /// Renders the part a channel type uses. `log` takes the first part the template has; so
    /// does a `webhook` channel without a `webhook` part, whose driver then wraps that part in
    /// its default JSON envelope.
    public func render(
        _ template: JSON, channelType: String, variables: JSON, locale: String?
    ) throws(TemplateError) -> RenderedMessage {
        if let part = TemplateContent.part(forChannelType: channelType),
            part != "webhook" || TemplateSelection.resolve(template, part: part, locale: locale) != nil
        {
            return try render(template, part: part, variables: variables, locale: locale, channelType: channelType)
        }
        for part in TemplateContent.partNames where TemplateSelection.resolve(template, part: part, locale: locale) != nil {
            return try render(template, part: part, variables: variables, locale: locale, channelType: channelType)
        }
        return RenderedMessage(part: "", locale: nil, fields: [:], data: nil)
    }

    /// Renders one part (`email`, `push`, `sms`, `chat`, `webhook`) for a locale.
    public func render(
        _ template: JSON, part: String, variables: JSON, locale: String?, channelType: String? = nil
    ) throws(TemplateError) -> RenderedMessage {
        guard let selected = TemplateSelection.resolve(template, part: part, locale: locale) else {
            throw .partMissing(part: part, channelType: channelType ?? part)
        }
        let scope = try VariableScope(template: template, variables: variables)
        if !scope.missingRequired.isEmpty { throw .missingVariables(scope.missingRequired) }

        var fields: [String: String] = [:]
        var missing: [MissingVariable] = []
        for (name, kind) in TemplatePartLayout.fields(of: part) {
            guard let value = selected.content[name], !value.isNull else { continue }
            let field = selected.fieldPrefix + "." + name
            guard case .string(let source) = value else {
                throw .invalidField(field: field, problem: "must be a string, got \(value.typeName)")
            }
            let (text, misses) = try renderField(source, kind: kind, field: field, scope: scope)
            fields[name] = text
            missing += misses.map { MissingVariable(name: $0, field: field) }
        }
        var data: JSON?
        if TemplatePartLayout.hasData(part), let raw = selected.data {
            data = try renderData(raw, field: selected.dataPrefix + ".data", scope: scope, missing: &missing)
        }
        if !missing.isEmpty { throw .missingVariables(Self.unique(missing)) }
        return RenderedMessage(part: part, locale: selected.locale, fields: fields, data: data)
    }

    /// Renders one Mustache string with the given escaping; returns the text and the names that
    /// were missing (empty when all were found).
    func renderField(
        _ source: String, kind: FieldKind, field: String, scope: VariableScope
    ) throws(TemplateError) -> (String, [String]) {
        let compiled = try compile(source, kind: kind, field: field)
        let collector = MissCollector()
        let text = compiled.render(scope.root(collector))
        return (text, collector.missing)
    }

    /// Strings inside push data are templates too; other values pass through.
    private func renderData(
        _ value: JSON, field: String, scope: VariableScope, missing: inout [MissingVariable]
    ) throws(TemplateError) -> JSON {
        switch value {
        case .string(let s):
            let (text, misses) = try renderField(s, kind: .text, field: field, scope: scope)
            missing += misses.map { MissingVariable(name: $0, field: field) }
            return .string(text)
        case .array(let a):
            var out: [JSON] = []
            for (i, v) in a.enumerated() {
                out.append(try renderData(v, field: "\(field)[\(i)]", scope: scope, missing: &missing))
            }
            return .array(out)
        case .object(let o):
            var out: JSONObject = [:]
            for (k, v) in o { out[k] = try renderData(v, field: "\(field).\(k)", scope: scope, missing: &missing) }
            return .object(out)
        default:
            return value
        }
    }

    /// Parses (or fetches from the cache) one field's template.
    func compile(_ source: String, kind: FieldKind, field: String) throws(TemplateError) -> MustacheTemplate {
        let key = CacheKey(source: source, kind: kind)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let compiled: MustacheTemplate
        do {
            compiled = try MustacheTemplate(string: (kind.pragma ?? "") + source)
        } catch let error as MustacheTemplate.ParserError {
            // The pragma line is ours: report positions in the author's text.
            let shift = kind.pragma == nil ? 0 : 1
            throw .syntax(
                TemplateSyntaxProblem(
                    field: field, line: max(1, error.context.lineNumber - shift), column: error.context.columnNumber,
                    reason: Self.reason(error.error), excerpt: error.context.line))
        } catch {
            throw .syntax(TemplateSyntaxProblem(field: field, line: 1, column: 1, reason: "\(error)", excerpt: ""))
        }
        cache.withLock { c in
            // A crude bound: templates are few, so clearing on overflow costs nothing in practice
            // and keeps hostile churn from growing the cache without end.
            if c.count >= cacheLimit { c.removeAll(keepingCapacity: true) }
            c[key] = compiled
        }
        return compiled
    }

    static func reason(_ error: any Error) -> String {
        guard let e = error as? MustacheTemplate.Error else {
            // swift-mustache's parser reports running off the end of the text as a bare
            // `overflow` (its error type is internal): an unclosed tag such as `{{name`.
            if "\(error)" == "overflow" { return "tag not closed before the end of the text (expected }})" }
            return "\(error)"
        }
        switch e {
        case .sectionCloseNameIncorrect: return "section closed with a different name than it was opened with"
        case .unfinishedName: return "tag not closed (expected }})"
        case .expectedSectionEnd: return "section opened and never closed (expected {{/name}})"
        case .invalidSetDelimiter: return "malformed set-delimiter tag"
        case .transformAppliedToInheritanceSection: return "transform applied to an inheritance section"
        case .illegalTokenInsideInheritSection: return "illegal tag inside an inherited section"
        case .textInsideInheritSection: return "text inside an inherited section"
        case .invalidConfigVariableSyntax: return "malformed pragma tag"
        case .unrecognisedConfigVariable: return "unknown pragma"
        }
    }

    static func unique(_ vars: [MissingVariable]) -> [MissingVariable] {
        var seen = Set<MissingVariable>()
        return vars.filter { seen.insert($0).inserted }
    }

    struct CacheKey: Hashable, Sendable {
        var source: String
        var kind: FieldKind
    }
}

extension TemplateRenderer {
    /// Renders a single text snippet (channel settings such as `spec.smtp.listUnsubscribe`)
    /// with the same rules as templates: no escaping, missing variables refused.
    public func renderText(_ source: String, variables: JSON) throws(TemplateError) -> String {
        let scope = try VariableScope(template: .emptyObject, variables: variables)
        let (text, misses) = try renderField(source, kind: .text, field: "text", scope: scope)
        if !misses.isEmpty { throw .missingVariables(misses.map { MissingVariable(name: $0, field: "text") }) }
        return text
    }
}
