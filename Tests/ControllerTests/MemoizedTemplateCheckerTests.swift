import HeraldAPI
import Synchronization
import Testing

@testable import Controller

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
        for name in ["a", "b", "c"] {
            _ = checker.problems(content: content, variables: ["name": .string(name)], channelTypes: [])
        }
        // "a" was dropped with the rest when "c" arrived; asking again reaches the base.
        #expect(checker.problems(content: content, variables: ["name": "a"], channelTypes: []).isEmpty)
        #expect(base.calls.withLock { $0 } == 4)
        #expect(checker.problems(content: content, variables: ["name": "c"], channelTypes: []).isEmpty)
        #expect(base.calls.withLock { $0 } == 4)
    }
}
