import Foundation

/// Where the controller reads the time and waits. Injected so every time-based decision (backoff,
/// deadlines, quiet hours, queued timeouts) is tested without sleeping.
public protocol ControllerClock: Sendable {
    func now() -> Date
    /// Sleeps until `deadline` (returns at once when it has passed); throws on cancellation.
    func sleep(until deadline: Date) async throws
}

/// Wall-clock time, as the store and the API write it.
public struct SystemClock: ControllerClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds <= 0 { return }
        try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}

/// A source of uniform random numbers in [0, 1), injected so jitter is reproducible in tests.
public protocol RandomSource: Sendable {
    func unit() -> Double
}

public struct SystemRandom: RandomSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}

/// Always the same value: tests pin jitter to its bounds with 0 and 0.999….
public struct FixedRandom: RandomSource {
    public var value: Double
    public init(_ value: Double) { self.value = min(max(value, 0), 0.999_999_999) }
    public func unit() -> Double { value }
}
