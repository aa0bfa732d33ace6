import Broker
import Foundation
import Logging
import Synchronization
import Testing

/// Where the integration tests find RabbitMQ: `eval "$(scripts/rabbitmq-start.sh)"` sets these.
enum RabbitMQTestEnvironment {
    static var url: String? { ProcessInfo.processInfo.environment["HERALD_TEST_AMQP_URL"] }
    static var isAvailable: Bool { url != nil }
    static let skipMessage: Comment =
        "HERALD_TEST_AMQP_URL is not set; run `eval \"$(scripts/rabbitmq-start.sh)\"` to run RabbitMQ tests"
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A topology of its own for each test, so tests never see each other's messages.
func uniqueTopology(_ name: String) -> Topology {
    Topology(prefix: "test-\(name)-\(UUID().uuidString.prefix(8).lowercased())")
}

func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["HERALD_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
    return logger
}

/// Runs `body` with a running broker and shuts the broker down afterwards.
func withRabbitMQBroker<T: Sendable>(
    url: String? = RabbitMQTestEnvironment.url,
    topology: Topology,
    logger: Logger = testLogger("test.rabbitmq"),
    configure: (inout RabbitMQConfiguration) -> Void = { _ in },
    _ body: @Sendable (RabbitMQBroker) async throws -> T
) async throws -> T {
    guard let url else { throw TestFailure("HERALD_TEST_AMQP_URL is not set") }
    var configuration = try RabbitMQConfiguration(url: url)
    configuration.topology = topology
    configuration.heartbeat = .seconds(5)
    configuration.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
    configure(&configuration)
    let broker = try RabbitMQBroker(configuration: configuration, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await broker.run() }
        do {
            let result = try await body(broker)
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// Fails the test instead of hanging when `operation` takes longer than `limit`.
func withTimeLimit<T: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestFailure("\(what) did not finish within \(limit)")
        }
        return value
    }
}

func body(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A set shared between test tasks.
final class LockedSet: Sendable {
    private let storage = Mutex(Set<String>())

    /// Inserts and returns the new size.
    @discardableResult
    func insert(_ value: String) -> Int {
        storage.withLock {
            $0.insert(value); return $0.count
        }
    }

    var count: Int { storage.withLock { $0.count } }
    var values: Set<String> { storage.withLock { $0 } }
}

/// Collects log messages at warning level and above, to assert that nothing went wrong quietly.
final class WarningCollector: Sendable {
    private let messages = Mutex<[String]>([])

    var collected: [String] { messages.withLock { $0 } }

    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in Handler(collector: self) }
    }

    fileprivate func append(_ message: String) {
        messages.withLock { $0.append(message) }
    }

    private struct Handler: LogHandler {
        let collector: WarningCollector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            collector.append("\(event.level): \(event.message) \(event.metadata ?? [:])")
        }
    }
}
