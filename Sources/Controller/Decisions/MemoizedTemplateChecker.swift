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
        answers.value(for: Question(content: content, variables: Self.shape(of: variables), channelTypes: channelTypes)) {
            base.problems(content: content, variables: variables, channelTypes: channelTypes)
        }
    }

    /// The part of the variables an answer can depend on. Notifications sharing a Template
    /// usually differ in their variables' text alone (a name, a link), and a remembered answer
    /// was then of no use: each Notification's first plan rendered its template again. A string
    /// can change the answer only by being empty or not (a section's truthiness, the `empty`
    /// transform; the other string transforms, `capitalized`, `lowercased`, `uppercased` and
    /// `reversed`, keep it), and the answer names missing variables, never values. Keys,
    /// structure and every other value (numbers meet `even`, `odd`, `equalzero`) stay as given.
    static func shape(of variables: JSON) -> JSON {
        switch variables {
        case .string(let s): return s.isEmpty ? variables : .string("x")
        case .array(let a): return .array(a.map(shape(of:)))
        case .object(let o): return .object(o.mapValues(shape(of:)))
        case .null, .bool, .int, .double: return variables
        }
    }

    func review(template spec: JSON) -> TemplateReview { base.review(template: spec) }
}
