import HeraldAPI

/// The workers' renderer behind HeraldAPI's `TemplateEngine`, for the API server's admission
/// check and render preview: the same parser, escaping and locale fallback as sending.
public struct MustacheTemplateEngine: TemplateEngine {
    let renderer: TemplateRenderer

    public init(renderer: TemplateRenderer = .shared) {
        self.renderer = renderer
    }

    public func syntaxErrors(in spec: JSON) -> [TemplateSyntaxIssue] {
        TemplateAnalysis.syntaxProblems(in: spec, renderer: renderer).map {
            TemplateSyntaxIssue(field: $0.field, line: $0.line, column: $0.column, message: $0.description)
        }
    }

    public func render(_ spec: JSON, channelType: String, variables: JSON, locale: String?) throws(TemplateRenderIssue)
        -> TemplatePreview
    {
        do {
            return Self.preview(try renderer.render(spec, channelType: channelType, variables: variables, locale: locale))
        } catch {
            throw Self.issue(error)
        }
    }

    public func render(_ spec: JSON, part: String, variables: JSON, locale: String?) throws(TemplateRenderIssue)
        -> TemplatePreview
    {
        do {
            return Self.preview(try renderer.render(spec, part: part, variables: variables, locale: locale))
        } catch {
            throw Self.issue(error)
        }
    }

    static func preview(_ m: RenderedMessage) -> TemplatePreview {
        TemplatePreview(part: m.part, locale: m.locale, fields: m.fields, data: m.data, digest: m.digest)
    }

    static func issue(_ error: TemplateError) -> TemplateRenderIssue {
        var missing: [TemplateVariableUse] = []
        if case .missingVariables(let vars) = error {
            missing = vars.map { TemplateVariableUse(name: $0.name, field: $0.field) }
        }
        return TemplateRenderIssue(code: error.code, message: error.description, missingVariables: missing)
    }
}
