import Foundation
import PostgresNIO
import Synchronization

/// Turns whatever PostgresNIO, the pool or NIO threw into a `StoreError` the API can answer with.
/// Every database failure is `unavailable` (503, retry): the store never leaks driver types, and
/// messages carry SQLSTATE and server text but never the connection URL or password.
enum PostgresFailure {
    static func storeError(_ error: any Error, while doing: String) -> any Error {
        switch error {
        case let e as StoreError:
            return e
        case is CancellationError:
            return error
        case let e as PSQLError:
            return StoreError.unavailable("PostgreSQL failed while \(doing): \(describe(e))")
        case let e as PostgresDecodingError:
            return StoreError.unavailable(
                "a row read while \(doing) has an unexpected type in column \(e.columnName); is the schema from a newer Herald?")
        default:
            return StoreError.unavailable("PostgreSQL is unreachable while \(doing): \(error)")
        }
    }

    static func describe(_ e: PSQLError) -> String {
        if e.code == .server, let info = e.serverInfo {
            let state = info[.sqlState] ?? "?"
            return "\(info[.message] ?? "server error") (SQLSTATE \(state))"
        }
        if let underlying = e.underlying {
            return "\(e.code): \(underlying)"
        }
        return "\(e.code)"
    }
}

/// Runs `operation`, failing with `StoreError.unavailable` when it has not finished after
/// `timeout`. PostgresNIO waits for a pooled connection for up to a minute while the server is
/// down, and a query on a half-open connection waits for TCP; callers need an answer sooner.
/// The operation runs in its own task so a hung query cannot hold the caller past the deadline.
func withDeadline<T: Sendable>(
    _ timeout: Swift.Duration, _ what: String, on executor: (any TaskExecutor)? = nil,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let gate = Once<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            gate.arm(continuation)
            let work = Task(executorPreference: executor) {
                do {
                    let value = try await operation()
                    gate.resume(.success(value))
                } catch {
                    gate.resume(.failure(PostgresFailure.storeError(error, while: what)))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if Task.isCancelled { return }
                if gate.resume(.failure(StoreError.unavailable("PostgreSQL did not answer within \(timeout) while \(what)"))) {
                    work.cancel()
                }
            }
            gate.onFinish {
                timer.cancel()
                work.cancel()
            }
        }
    } onCancel: {
        gate.resume(.failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once, whichever of work, timer or cancellation comes first.
final class Once<T: Sendable>: Sendable {
    struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var finish: (@Sendable () -> Void)?
    }

    let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { s in
            if let e = s.early { return e }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onFinish(_ body: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s in
            if s.done { return true }
            s.finish = body
            return false
        }
        if runNow { body() }
    }

    /// True when this call delivered the result.
    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        typealias Delivery = (continuation: CheckedContinuation<T, any Error>?, finish: (@Sendable () -> Void)?)
        let delivery: Delivery? = state.withLock { s in
            if s.done { return nil }
            s.done = true
            let f = s.finish
            s.finish = nil
            if let c = s.continuation {
                s.continuation = nil
                return (c, f)
            }
            // Cancelled before the continuation existed: `arm` delivers it.
            s.early = result
            return (nil, f)
        }
        guard let delivery else { return false }
        delivery.continuation?.resume(with: result)
        delivery.finish?()
        return true
    }
}
