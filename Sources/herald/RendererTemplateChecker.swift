import Controller
import HeraldAPI
import Workers

/// The controller's `Accepted` check through the workers' renderer: a Notification is refused
/// for exactly what a worker would fail to render (missing variables, parts, syntax).
struct RendererTemplateChecker: TemplateChecker {
    func problems(content: JSON, variables: JSON, channelTypes: [String]) -> [TemplateProblem] {
        TemplateAnalysis.problems(
            template: content, variables: RecipientVariables.placeholder(variables), channelTypes: channelTypes, locale: nil).map {
            TemplateProblem(reason: $0.code, message: $0.description)
        }
    }
}
