import Controller
import HeraldAPI
import Workers

/// The controller's template checks through the workers' renderer: a Notification is refused
/// (`Accepted`) for exactly what a worker would fail to render (missing variables, parts,
/// syntax), and a Template's `Valid` condition comes from the same parser.
struct RendererTemplateChecker: TemplateChecker {
    func problems(content: JSON, variables: JSON, channelTypes: [String]) -> [TemplateProblem] {
        // `recipient.*` is filled in per delivery, so it counts as provided here.
        TemplateAnalysis.problems(
            template: content, variables: RecipientVariables.placeholder(variables), channelTypes: channelTypes, locale: nil
        ).map {
            TemplateProblem(reason: $0.code, message: $0.description)
        }
    }

    func review(template spec: JSON) -> TemplateReview {
        let syntax = TemplateAnalysis.syntaxProblems(in: spec).map {
            TemplateProblem(
                reason: "SyntaxError",
                message: "spec.\($0.field) at line \($0.line), column \($0.column): \($0.reason)")
        }
        let usage = syntax.isEmpty ? TemplateAnalysis.variableUsage(of: spec) : nil
        return TemplateReview(
            syntaxErrors: syntax, usedVariables: usage.map { $0.required + $0.optional },
            digest: TemplateAnalysis.digest(of: spec))
    }
}
