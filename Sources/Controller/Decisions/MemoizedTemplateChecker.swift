import HeraldAPI

/// Remembers a checker's answers. A Notification is planned again on every change to one of its
/// Deliveries, and most Notifications share a handful of Templates: parsing the same content
/// for the same variables each time was a visible share of the controller's work. Answers depend
/// only on the arguments, so a remembered one is always right; the memory is dropped whole
/// when full, since content changes rarely and a re-check is cheap next to unbounded growth.
final class MemoizedTemplateChecker: TemplateChecker {
    private struct Question: Hashable {
        var content: JSON
        var variables: JSON
        var channelTypes: [String]
    }

    let base: any TemplateChecker
    private let answers: Memo<Question, [TemplateProblem]>

    init(_ base: any TemplateChecker, capacity: Int = 512) {
        self.base = base
        answers = Memo(capacity: capacity)
    }

    func problems(content: JSON, variables: JSON, channelTypes: [String]) -> [TemplateProblem] {
        answers.value(for: Question(content: content, variables: variables, channelTypes: channelTypes)) {
            base.problems(content: content, variables: variables, channelTypes: channelTypes)
        }
    }

    func review(template spec: JSON) -> TemplateReview { base.review(template: spec) }
}
