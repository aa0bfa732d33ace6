import Foundation
import Testing

@testable import Controller

/// Scheduler times keep milliseconds, rounded up so a stored time is never before the one meant.
@Suite struct PreciseTimeTests {
    @Test func writesMillisecondsRoundedUp() {
        let base = 1_795_000_000.0  // 2026-11-18T11:06:40Z
        #expect(PreciseTime.format(Date(timeIntervalSince1970: base)) == "2026-11-18T11:06:40.000Z")
        #expect(PreciseTime.format(Date(timeIntervalSince1970: base + 0.25)) == "2026-11-18T11:06:40.250Z")
        #expect(PreciseTime.format(Date(timeIntervalSince1970: base + 0.1231)) == "2026-11-18T11:06:40.124Z")
        #expect(PreciseTime.format(Date(timeIntervalSince1970: base + 0.007)) == "2026-11-18T11:06:40.007Z")
        // Rounding up past the last millisecond carries into the next second.
        #expect(PreciseTime.format(Date(timeIntervalSince1970: base + 59.9996)) == "2026-11-18T11:07:40.000Z")
    }
}
