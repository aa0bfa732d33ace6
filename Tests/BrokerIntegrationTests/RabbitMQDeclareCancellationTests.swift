import Broker
import Foundation
import Synchronization
import Testing

/// `RabbitMQBroker.declareTopology()` waits for a connection; cancelling its task ends the wait
/// (herald's TopologyGate relies on it to shut down while RabbitMQ is unreachable). Nothing
/// listens on port 1, so no server is needed.
@Suite("RabbitMQ declareTopology cancellation", .timeLimit(.minutes(1)))
struct RabbitMQDeclareCancellationTests {
    static let unreachable = "amqp://guest:guest@127.0.0.1:1/"

    /// A broker whose every connection attempt is refused at once. The shutdown timeout is long,
    /// so a shutdown that waits for a forgotten declaration would show.
    func refusedBroker(_ name: String) throws -> RabbitMQBroker {
        var configuration = try RabbitMQConfiguration(url: Self.unreachable)
        configuration.topology = uniqueTopology(name)
        configuration.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(50))
        configuration.shutdownTimeout = .seconds(30)
        return try RabbitMQBroker(configuration: configuration, logger: testLogger("test.rabbitmq.\(name)"))
    }

    @Test func cancellingTheTaskEndsTheWaitWithCancellationError() async throws {
        let broker = try refusedBroker("declare-cancel")
        let running = Watched.start { try await broker.run() }
        let declaration = Watched.start { try await broker.declareTopology() }
        // Long enough for the declaration to wait on the connection thread.
        try await Task.sleep(for: .milliseconds(500))
        declaration.cancel()
        let outcome = try #require(
            await declaration.result(within: .seconds(2)), "declareTopology() went on waiting after its task was cancelled")
        #expect(throws: CancellationError.self) { try outcome.get() }

        // The forgotten declaration does not hold the broker's shutdown for its timeout.
        running.cancel()
        let stopped = await running.result(within: .seconds(5))
        #expect(stopped != nil, "the broker took more than 5 s to shut down")
    }

    @Test func aTaskCancelledBeforeItDeclaresDoesNotWait() async throws {
        let broker = try refusedBroker("declare-precancelled")
        let running = Watched.start { try await broker.run() }
        let declaration = Watched.start {
            withUnsafeCurrentTask { $0?.cancel() }
            try await broker.declareTopology()
        }
        let outcome = try #require(
            await declaration.result(within: .seconds(2)), "declareTopology() of a cancelled task waited")
        #expect(throws: CancellationError.self) { try outcome.get() }
        running.cancel()
        #expect(await running.result(within: .seconds(5)) != nil, "the broker took more than 5 s to shut down")
    }

    /// Cancellations and the broker's own answer (shutdown) race: each declaration ends once,
    /// with one of the two errors, and no continuation is resumed twice (which would crash).
    @Test func cancellationRacingShutdownResumesEachDeclarationOnce() async throws {
        for round in 0..<10 {
            let broker = try refusedBroker("declare-race-\(round)")
            let running = Watched.start { try await broker.run() }
            let declarations = (0..<20).map { _ in Watched.start { try await broker.declareTopology() } }
            // Some cancelled before they reach the connection thread, some while they wait there.
            for declaration in declarations.prefix(5) { declaration.cancel() }
            try await Task.sleep(for: .milliseconds(round * 10))
            for declaration in declarations.dropFirst(5).prefix(10) { declaration.cancel() }
            running.cancel()
            for declaration in declarations.suffix(5) { declaration.cancel() }
            for declaration in declarations {
                let outcome = try #require(
                    await declaration.result(within: .seconds(5)), "round \(round): a declaration never ended")
                #expect(throws: (any Error).self) { try outcome.get() }
                if case .failure(let error) = outcome {
                    #expect(
                        error is CancellationError || (error as? BrokerError) == .shutdown,
                        "round \(round): unexpected error \(error)")
                }
            }
            #expect(await running.result(within: .seconds(5)) != nil, "round \(round): the broker did not shut down")
        }
    }
}

/// Runs an operation in a task of its own and records how it ended. ``result(within:)`` polls
/// instead of awaiting the task, so an operation that never ends fails the test instead of
/// hanging the run.
final class Watched: Sendable {
    private let outcome = Mutex<Result<Void, any Error>?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init() {}

    static func start(_ operation: @escaping @Sendable () async throws -> Void) -> Watched {
        let watched = Watched()
        let task = Task {
            let result: Result<Void, any Error>
            do {
                try await operation()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            watched.outcome.withLock { $0 = result }
        }
        watched.task.withLock { $0 = task }
        return watched
    }

    func cancel() { task.withLock { $0 }?.cancel() }

    /// How the operation ended, or nil if it has not within `limit`.
    func result(within limit: Duration) async -> Result<Void, any Error>? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let ended = outcome.withLock({ $0 }) { return ended }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
