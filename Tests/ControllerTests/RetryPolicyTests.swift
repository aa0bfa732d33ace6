import Foundation
import HeraldAPI
import Testing

@testable import Controller

@Suite struct RetryPolicyTests {
    @Test func notificationOverridesChannelFieldByField() {
        let channel: JSON = ["maxAttempts": 3, "initialBackoff": "5s", "jitter": "none"]
        let notification: JSON = ["initialBackoff": "2s", "multiplier": 3]
        let p = RetryPolicy.resolve(channelRetry: channel, notificationRetry: notification)
        #expect(p.maxAttempts == 3)
        #expect(p.initialBackoff == 2)
        #expect(p.multiplier == 3)
        #expect(p.jitter == .none)
        #expect(p.maxBackoff == RetryPolicy.default.maxBackoff)
    }

    @Test func defaultsWhenNothingIsSet() {
        #expect(RetryPolicy.resolve(channelRetry: nil, notificationRetry: nil) == .default)
    }

    @Test func unreadableFieldsKeepTheEarlierValue() {
        let p = RetryPolicy.resolve(channelRetry: ["initialBackoff": "soon", "maxAttempts": 0], notificationRetry: nil)
        #expect(p.initialBackoff == RetryPolicy.default.initialBackoff)
        #expect(p.maxAttempts == RetryPolicy.default.maxAttempts)
    }

    @Test func exponentialGrowthCappedByMaxBackoff() {
        let p = RetryPolicy(maxAttempts: 10, initialBackoff: 2, maxBackoff: 10, multiplier: 2, jitter: .none)
        #expect(p.baseDelay(afterAttempt: 1) == 2)
        #expect(p.baseDelay(afterAttempt: 2) == 4)
        #expect(p.baseDelay(afterAttempt: 3) == 8)
        #expect(p.baseDelay(afterAttempt: 4) == 10)
        #expect(p.baseDelay(afterAttempt: 500) == 10)
    }

    @Test func fullJitterSpansZeroToTheDelay() {
        let p = RetryPolicy(maxAttempts: 5, initialBackoff: 4, maxBackoff: 60, multiplier: 2, jitter: .full)
        #expect(p.delay(afterAttempt: 1, random: FixedRandom(0)) == 0)
        #expect(abs(p.delay(afterAttempt: 1, random: FixedRandom(0.5)) - 2) < 1e-9)
        #expect(p.delay(afterAttempt: 1, random: FixedRandom(1)) < 4)
    }

    @Test func equalJitterNeverBelowHalf() {
        let p = RetryPolicy(maxAttempts: 5, initialBackoff: 4, maxBackoff: 60, multiplier: 2, jitter: .equal)
        #expect(p.delay(afterAttempt: 1, random: FixedRandom(0)) == 2)
        #expect(p.delay(afterAttempt: 1, random: FixedRandom(0.999)) < 4)
        #expect(p.delay(afterAttempt: 2, random: FixedRandom(0)) == 4)
    }

    @Test func retryAfterIsAFloor() {
        let p = RetryPolicy(maxAttempts: 5, initialBackoff: 1, maxBackoff: 60, multiplier: 2, jitter: .full)
        #expect(p.delay(afterAttempt: 1, retryAfter: 2, random: FixedRandom(0.9)) == 2)
        // Above maxBackoff too: the provider asked.
        #expect(p.delay(afterAttempt: 1, retryAfter: 120, random: FixedRandom(0.9)) == 120)
        // A shorter Retry-After does not shorten the backoff.
        let q = RetryPolicy(maxAttempts: 5, initialBackoff: 10, maxBackoff: 60, multiplier: 2, jitter: .none)
        #expect(q.delay(afterAttempt: 1, retryAfter: 2, random: FixedRandom(0)) == 10)
    }

    @Test func attemptsAllowed() {
        let p = RetryPolicy(maxAttempts: 3, initialBackoff: 1, maxBackoff: 60, multiplier: 2, jitter: .none)
        #expect(p.allowsAttempt(after: 2))
        #expect(!p.allowsAttempt(after: 3))
    }
}

@Suite struct DelayTierPlannerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let planner = DelayTierPlanner()

    @Test func largestTierNotLongerThanTheRemainder() {
        #expect(planner.largestTier(notExceeding: 0.5) == nil)
        #expect(planner.largestTier(notExceeding: 1) == 1)
        #expect(planner.largestTier(notExceeding: 7) == 5)
        #expect(planner.largestTier(notExceeding: 119) == 30)
        #expect(planner.largestTier(notExceeding: 86_400) == 3600)
    }

    @Test func dueNowPublishesNow() {
        #expect(planner.plan(due: t0, now: t0) == .publishNow)
        #expect(planner.plan(due: t0.addingTimeInterval(-3), now: t0) == .publishNow)
    }

    @Test func exactTierPublishesIntoIt() {
        #expect(planner.plan(due: t0.addingTimeInterval(5), now: t0) == .publishDelayed(tierSeconds: 5))
        // Slightly less than a tier: landing a little late is within tolerance, never early.
        #expect(planner.plan(due: t0.addingTimeInterval(4.9), now: t0) == .publishDelayed(tierSeconds: 5))
    }

    @Test func remainderHeldUntilItEqualsATier() {
        // 7 s: wait 2 s in the controller, then 5 s in the broker.
        #expect(planner.plan(due: t0.addingTimeInterval(7), now: t0) == .hold(until: t0.addingTimeInterval(2)))
        #expect(planner.plan(due: t0.addingTimeInterval(7), now: t0.addingTimeInterval(2)) == .publishDelayed(tierSeconds: 5))
    }

    @Test func underTheSmallestTierWaitsInTheController() {
        #expect(planner.plan(due: t0.addingTimeInterval(0.5), now: t0) == .hold(until: t0.addingTimeInterval(0.5)))
    }

    @Test func farAheadWaitsInTheControllerTimer() {
        let due = t0.addingTimeInterval(5 * 3600)
        #expect(planner.plan(due: due, now: t0) == .hold(until: due.addingTimeInterval(-3600)))
    }

    @Test func neverEarly() {
        // Walk random-ish due times; every plan lands at or after due.
        for remaining in stride(from: 0.01, to: 5000, by: 13.37) {
            var now = t0
            let due = t0.addingTimeInterval(remaining)
            var hops = 0
            loop: while hops < 10 {
                hops += 1
                switch planner.plan(due: due, now: now) {
                case .publishNow:
                    #expect(now >= due)
                    break loop
                case .publishDelayed(let tier):
                    let arrival = now.addingTimeInterval(tier)
                    #expect(arrival >= due)
                    #expect(arrival.timeIntervalSince(due) <= planner.tolerance + 1e-9)
                    break loop
                case .hold(let until):
                    #expect(until > now)
                    now = until
                }
            }
            #expect(hops < 10)
        }
    }
}
