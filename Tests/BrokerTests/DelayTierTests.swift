import Testing

@testable import Broker

struct DelayTierTests {
    @Test(
        arguments: [
            (Duration.zero, nil),
            (.milliseconds(999), nil),
            (.seconds(1), DelayTier.oneSecond),
            (.milliseconds(4_999), .oneSecond),
            (.seconds(5), .fiveSeconds),
            (.seconds(29), .fiveSeconds),
            (.seconds(30), .thirtySeconds),
            (.seconds(119), .thirtySeconds),
            (.seconds(120), .twoMinutes),
            (.seconds(599), .twoMinutes),
            (.seconds(600), .tenMinutes),
            (.seconds(3_599), .tenMinutes),
            (.seconds(3_600), .oneHour),
            (.seconds(86_400), .oneHour),
        ] as [(Duration, DelayTier?)])
    func largestTierNotExceedingTheRemainingDelay(remaining: Duration, expected: DelayTier?) {
        #expect(DelayTier.largest(notExceeding: remaining) == expected)
    }

    @Test func negativeRemainderHasNoTier() {
        #expect(DelayTier.largest(notExceeding: .seconds(-5)) == nil)
    }

    @Test func tiersAreOrderedAndNamedAsTheQueues() {
        #expect(DelayTier.allCases.map(\.rawValue) == ["1s", "5s", "30s", "2m", "10m", "1h"])
        #expect(DelayTier.allCases == DelayTier.allCases.sorted())
        #expect(DelayTier.allCases.map(\.milliseconds) == [1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000])
        #expect(DelayTier.twoMinutes.duration == .seconds(120))
    }

    /// Re-delaying with the remainder converges: the controller's loop over tiers ends with a
    /// remainder under the smallest tier after a bounded number of hops.
    @Test func repeatedTiersConvergeOnTheRemainingDelay() {
        var remaining = Duration.seconds(2 * 3_600 + 11 * 60 + 37)
        var hops = 0
        while let tier = DelayTier.largest(notExceeding: remaining), hops < 50 {
            remaining -= tier.duration
            hops += 1
        }
        #expect(remaining < .seconds(1))
        #expect(hops == 2 + 1 + 3 + 1 + 2)  // 1h 1h 10m 30s 30s 30s 5s 1s 1s
    }
}
