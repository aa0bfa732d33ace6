import HeraldAPI
import Synchronization
import Testing

@Suite struct GroupCommitTests {
    /// Records the batches it commits; answers each item with its double, and fails odd ones
    /// when asked to.
    final class Committer: Sendable {
        let batches = Mutex<[[Int]]>([])
        let failOdd: Bool

        init(failOdd: Bool = false) { self.failOdd = failOdd }

        func commit(_ items: [Int]) async -> [Result<Int, any Error>] {
            batches.withLock { $0.append(items) }
            return items.map { failOdd && $0 % 2 == 1 ? .failure(GroupCommitError.noOutcome) : .success($0 * 2) }
        }
    }

    @Test func eachCallerGetsItsOwnOutcome() async throws {
        let committer = Committer(failOdd: true)
        let commits = GroupCommit<Int, Int> { await committer.commit($0) }
        #expect(try await commits.submit(4) == 8)
        await #expect(throws: GroupCommitError.self) { _ = try await commits.submit(3) }
    }

    @Test func aSetComesBackInOrderAndSpansBatchesOfAtMostMaxBatch() async throws {
        let committer = Committer(failOdd: true)
        let commits = GroupCommit<Int, Int>(maxBatch: 4) { await committer.commit($0) }
        let outcomes = await commits.submitAll(Array(0..<10))
        #expect(outcomes.count == 10)
        for (i, outcome) in outcomes.enumerated() {
            if i % 2 == 1 {
                #expect(throws: GroupCommitError.self) { try outcome.get() }
            } else {
                #expect(try outcome.get() == i * 2)
            }
        }
        let batches = committer.batches.withLock { $0 }
        #expect(batches.allSatisfy { $0.count <= 4 })
        #expect(batches.flatMap { $0 } == Array(0..<10))
        #expect(await commits.submitAll([]).isEmpty)
    }

    @Test func callersArrivingDuringACommitShareTheNext() async throws {
        let committer = Committer()
        let commits = GroupCommit<Int, Int> { await committer.commit($0) }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<50 { group.addTask { try await commits.submit(i) } }
            var sum = 0
            for try await v in group { sum += v }
            #expect(sum == (0..<50).reduce(0, +) * 2)
        }
        let batches = committer.batches.withLock { $0 }
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<50))
    }

    @Test func aCommitThatAnswersTooFewLeavesTheRestFailed() async throws {
        let commits = GroupCommit<Int, Int> { items in items.dropLast().map { .success($0) } }
        let outcomes = await commits.submitAll([1, 2, 3])
        #expect(try outcomes[0].get() == 1)
        #expect(throws: GroupCommitError.noOutcome) { try outcomes[2].get() }
    }

    @Test func failureOnlyAndAllOrNothingCommits() async throws {
        let failing = GroupCommit<Int, Void>(failures: { items in items.map { $0 < 0 ? GroupCommitError.noOutcome : nil } })
        try await failing.submit(1)
        await #expect(throws: GroupCommitError.self) { try await failing.submit(-1) }
        let whole = GroupCommit<Int, Void>(allOrNothing: { items in if items.contains(0) { throw GroupCommitError.noOutcome } })
        try await whole.submit(1)
        await #expect(throws: GroupCommitError.self) { try await whole.submit(0) }
    }
}
