import Foundation
import Testing

@testable import Controller

@Suite struct WorkQueueTests {
    @Test func deduplicatesWaitingKeys() async {
        let q = WorkQueue<String>(name: "t")
        q.add("a")
        q.add("b")
        q.add("a")
        #expect(q.length == 2)
        #expect(await q.get() == "a")
        #expect(await q.get() == "b")
    }

    @Test func keyAddedWhileProcessingComesBackAfterDone() async {
        let q = WorkQueue<String>(name: "t")
        q.add("a")
        let key = await q.get()
        #expect(key == "a")
        q.add("a")
        // Not handed out again while being processed.
        #expect(q.length == 0)
        q.done("a")
        #expect(q.length == 1)
        #expect(await q.get() == "a")
    }

    @Test func delayedKeysArriveInOrder() async {
        let q = WorkQueue<String>(name: "t")
        let timer = Task { await q.run() }
        defer {
            q.shutDown()
            timer.cancel()
        }
        let start = Date()
        q.add("late", after: 0.2)
        q.add("soon", after: 0.05)
        q.add("soon", after: 0.5)  // a later request for a scheduled key is dropped
        #expect(q.delayedCount == 2)
        #expect(q.isScheduled("late") && q.isScheduled("soon") && !q.isScheduled("other"))
        #expect(await q.get() == "soon")
        #expect(Date().timeIntervalSince(start) >= 0.05)
        #expect(!q.isScheduled("soon"))  // came due
        q.done("soon")
        #expect(await q.get() == "late")
        #expect(Date().timeIntervalSince(start) >= 0.2)
    }

    @Test func rateLimitedRetriesBackOff() {
        var limiter = RateLimiter<String>(baseDelay: 0.01, maxDelay: 1, perSecond: 0, burst: 1)
        let now = Date()
        #expect(limiter.when("x", now: now) == 0.01)
        #expect(limiter.when("x", now: now) == 0.02)
        #expect(limiter.when("x", now: now) == 0.04)
        for _ in 0..<20 { _ = limiter.when("x", now: now) }
        #expect(limiter.when("x", now: now) == 1)
        limiter.forget("x")
        #expect(limiter.when("x", now: now) == 0.01)
    }

    @Test func overallBucketLimitsManyFailingKeys() {
        var limiter = RateLimiter<Int>(baseDelay: 0.001, maxDelay: 1, perSecond: 10, burst: 2)
        let now = Date()
        #expect(limiter.when(1, now: now) == 0.001)
        #expect(limiter.when(2, now: now) == 0.001)
        // Bucket empty: the third waits for a token.
        #expect(abs(limiter.when(3, now: now) - 0.1) < 1e-9)
    }

    @Test func shutdownReleasesWaiters() async {
        let q = WorkQueue<String>(name: "t")
        let waiter = Task { await q.get() }
        try? await Task.sleep(for: .milliseconds(20))
        q.shutDown()
        #expect(await waiter.value == nil)
    }

    @Test func workersProcessEachKeyOnceAtATime() async {
        let q = WorkQueue<Int>(name: "t")
        let seen = Counter()
        for i in 0..<100 { q.add(i % 10) }
        let run = Task {
            await q.process(workers: 4) { key in
                await seen.increment(key)
                return true
            }
        }
        while await seen.total < 10 { try? await Task.sleep(for: .milliseconds(5)) }
        q.shutDown()
        await run.value
        #expect(await seen.total == 10)
    }
}

actor Counter {
    var counts: [Int: Int] = [:]
    var total: Int { counts.values.reduce(0, +) }
    func increment(_ k: Int) { counts[k, default: 0] += 1 }
}
