import HeraldAPI
import Synchronization
import Testing

@testable import Controller
@testable import herald

@Suite struct MemoizedTemplateCheckerTests {
    /// Counts the questions that reach it and answers "missing name" unless `name` is provided.
    final class CountingChecker: TemplateChecker, Sendable {
        let calls = Mutex(0)

        func problems(content: JSON, variables: JSON, channelTypes: [String]) -> [TemplateProblem] {
            calls.withLock { $0 += 1 }
            return variables["name"] == nil ? [TemplateProblem(reason: "MissingVariable", message: "name is not provided")] : []
        }
    }

    let content: JSON = ["body": "Hello {{ name }}"]

    @Test func answersARepeatedQuestionFromMemory() {
        let base = CountingChecker()
        let checker = MemoizedTemplateChecker(base)
        let first = checker.problems(content: content, variables: .emptyObject, channelTypes: ["webhook"])
        let second = checker.problems(content: content, variables: .emptyObject, channelTypes: ["webhook"])
        #expect(first == second)
        #expect(first.map(\.reason) == ["MissingVariable"])
        #expect(base.calls.withLock { $0 } == 1)
    }

    @Test func asksAgainWhenContentVariablesOrChannelTypesDiffer() {
        let base = CountingChecker()
        let checker = MemoizedTemplateChecker(base)
        _ = checker.problems(content: content, variables: .emptyObject, channelTypes: ["webhook"])
        let provided = checker.problems(content: content, variables: ["name": "Ada"], channelTypes: ["webhook"])
        _ = checker.problems(content: ["body": "Bye {{ name }}"], variables: .emptyObject, channelTypes: ["webhook"])
        _ = checker.problems(content: content, variables: .emptyObject, channelTypes: ["smtp"])
        #expect(provided.isEmpty)
        #expect(base.calls.withLock { $0 } == 4)
    }

    @Test func forgetsEverythingWhenFullAndStillAnswersRight() {
        let base = CountingChecker()
        let checker = MemoizedTemplateChecker(base, capacity: 2)
        for key in ["a", "b", "c"] {
            _ = checker.problems(content: content, variables: [key: "x", "name": "Ada"], channelTypes: [])
        }
        // "a" was dropped with the rest when "c" arrived; asking again reaches the base.
        #expect(checker.problems(content: content, variables: ["a": "x", "name": "Ada"], channelTypes: []).isEmpty)
        #expect(base.calls.withLock { $0 } == 4)
        #expect(checker.problems(content: content, variables: ["c": "x", "name": "Ada"], channelTypes: []).isEmpty)
        #expect(base.calls.withLock { $0 } == 4)
    }

    @Test func variablesDifferingOnlyInNonEmptyTextShareAnAnswer() {
        let base = CountingChecker()
        let checker = MemoizedTemplateChecker(base)
        for name in ["Ada", "Grace", "a much longer name than the others"] {
            #expect(checker.problems(content: content, variables: ["name": .string(name), "tags": ["x", "y"]], channelTypes: []).isEmpty)
        }
        #expect(base.calls.withLock { $0 } == 1)
        // Empty text, a number, another structure or another key may answer differently: asked again.
        _ = checker.problems(content: content, variables: ["name": "", "tags": ["x", "y"]], channelTypes: [])
        _ = checker.problems(content: content, variables: ["name": 1, "tags": ["x", "y"]], channelTypes: [])
        _ = checker.problems(content: content, variables: ["name": 2, "tags": ["x", "y"]], channelTypes: [])
        _ = checker.problems(content: content, variables: ["name": "Ada", "tags": ["x"]], channelTypes: [])
        _ = checker.problems(content: content, variables: ["name": "Ada", "tag": ["x", "y"]], channelTypes: [])
        #expect(base.calls.withLock { $0 } == 6)
    }

    /// With the renderer the controller runs, every answer is the one the renderer gives for
    /// those very variables, whichever Notification asked first: values that differ in emptiness,
    /// in a number or in structure are asked about again.
    @Test func rendererAnswersMatchAFreshCheckAcrossValues() {
        let memo = MemoizedTemplateChecker(RendererTemplateChecker())
        let template: JSON = [
            "webhook": [
                "body":
                    #"{"a":"{{#nick}}{{nickSource}}{{/nick}}","b":"{{#even(count)}}{{evenNote}}{{/even(count)}}","c":"{{#items}}{{label}}{{/items}}"}"#
            ]
        ]
        let questions: [JSON] = [
            ["nick": "", "count": 1], ["nick": "ada", "count": 1], ["nick": "grace", "count": 1],
            ["nick": "ada", "nickSource": "x", "count": 1], ["nick": "ada", "nickSource": "x", "count": 2],
            ["nick": "", "count": 3], ["nick": "", "count": 4], ["nick": "", "count": 4, "items": [["label": "a"]]],
            ["nick": "", "count": 4, "items": [["other": "a"]]], ["nick": "", "count": 4, "items": []],
            ["nick": false, "count": 1], ["nick": true, "count": 1],
        ]
        // Twice over, so the second round is answered from memory.
        for variables in questions + questions {
            let fresh = RendererTemplateChecker().problems(content: template, variables: variables, channelTypes: ["webhook"])
            #expect(memo.problems(content: template, variables: variables, channelTypes: ["webhook"]) == fresh, "\(variables)")
        }
        // The answers do differ across these questions, so a memo keyed too loosely would fail above.
        let answers = Set(questions.map { RendererTemplateChecker().problems(content: template, variables: $0, channelTypes: ["webhook"]) })
        #expect(answers.count > 2)
    }
}
