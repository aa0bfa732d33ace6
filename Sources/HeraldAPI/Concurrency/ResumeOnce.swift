/// One waiter's continuation and its outcome, kept under its owner's lock. The outcome may come
/// before the continuation is registered (a timeout or a cancellation that overtakes it), so
/// either order resumes the waiter exactly once. Both mutating calls return what to resume;
/// resume it after leaving the lock.
public struct ResumeOnce<Value: Sendable, Failure: Error>: Sendable {
    private enum State: Sendable {
        case unregistered
        case waiting(CheckedContinuation<Value, Failure>)
        /// Settled before the continuation was registered.
        case settled(Result<Value, Failure>)
        case resumed
    }

    private var state = State.unregistered

    public init() {}

    /// Registers the waiter's continuation. Returns the outcome to resume it with at once when
    /// one came first; nil when it now waits.
    public mutating func register(_ continuation: CheckedContinuation<Value, Failure>) -> Result<Value, Failure>? {
        switch state {
        case .unregistered:
            state = .waiting(continuation)
            return nil
        case .settled(let result):
            state = .resumed
            return result
        case .waiting, .resumed:
            preconditionFailure("a continuation was registered twice")
        }
    }

    /// Records the outcome. Returns the continuation to resume with it when one waits; nil when
    /// none does yet (it gets the outcome as it registers) or the outcome was already given.
    public mutating func settle(_ result: Result<Value, Failure>) -> CheckedContinuation<Value, Failure>? {
        switch state {
        case .unregistered:
            state = .settled(result)
            return nil
        case .waiting(let continuation):
            state = .resumed
            return continuation
        case .settled, .resumed:
            return nil
        }
    }

    /// Whether an outcome was given, resumed or not.
    public var isSettled: Bool {
        switch state {
        case .unregistered, .waiting: false
        case .settled, .resumed: true
        }
    }
}
