import Foundation

/// Time as the workers see it. Injected so that breaker, rate-limit and processor tests run on
/// a hand-driven clock instead of waiting.
public protocol WorkerClock: Sendable {
    /// Monotonic seconds from an arbitrary origin; immune to wall-clock jumps.
    func now() -> Double
    /// Wall-clock time, for timestamps and deadlines.
    func date() -> Date
    func sleep(seconds: Double) async throws
}

public struct SystemWorkerClock: WorkerClock {
    private static let origin = ContinuousClock.now

    public init() {}

    public func now() -> Double {
        let d = ContinuousClock.now - Self.origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    public func date() -> Date { Date() }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
    }
}
