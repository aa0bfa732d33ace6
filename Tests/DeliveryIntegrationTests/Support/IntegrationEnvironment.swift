import Foundation
import Testing

/// What the integration tests need from the machine: `scripts/rabbitmq-start.sh` and
/// `scripts/postgres-start.sh` export these (scripts/test.sh runs both).
enum IntegrationEnvironment {
    static let variables = ProcessInfo.processInfo.environment

    static var amqpURL: String? { variables["HERALD_TEST_AMQP_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var rabbitmqctl: String? { variables["HERALD_TEST_RABBITMQCTL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var postgresURL: String? { variables["HERALD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    static var hasRabbitMQ: Bool { amqpURL != nil && rabbitmqctl != nil }
    /// The split roles (`herald apiserver`, `controller`, `worker` as processes) share one store;
    /// the SQLite store's watches only see writes of their own process, so they need PostgreSQL.
    static var hasRabbitMQAndPostgres: Bool { hasRabbitMQ && postgresURL != nil }
    static var hasPostgres: Bool { postgresURL != nil }

    static let rabbitMQMissing: Comment =
        "HERALD_TEST_AMQP_URL and HERALD_TEST_RABBITMQCTL are not set: run `eval \"$(scripts/rabbitmq-start.sh)\"` (scripts/test.sh does)"
    static let postgresMissing: Comment =
        "HERALD_TEST_POSTGRES_URL is not set: run `eval \"$(scripts/postgres-start.sh)\"` (scripts/test.sh does)"
    static let rabbitMQOrPostgresMissing: Comment =
        "needs HERALD_TEST_AMQP_URL, HERALD_TEST_RABBITMQCTL and HERALD_TEST_POSTGRES_URL: run `eval \"$(scripts/rabbitmq-start.sh)\"` and `eval \"$(scripts/postgres-start.sh)\"` (scripts/test.sh does)"

    /// A PostgreSQL store URL with a schema of its own, so tests never see each other's objects.
    static func postgresStoreURL() throws -> String {
        guard let base = postgresURL else { throw IntegrationFailure("HERALD_TEST_POSTGRES_URL is not set") }
        let separator = base.contains("?") ? "&" : "?"
        return base + separator + "schema=itest_\(UniqueName.make())&sslmode=disable"
    }

    /// Where the test writes process logs and data directories; removed by scripts/test.sh.
    static func scratchDirectory(_ prefix: String) throws -> URL {
        let root = variables["HERALD_TEST_TMP"].map(URL.init(fileURLWithPath:)) ?? FileManager.default.temporaryDirectory
        let url = root.appendingPathComponent("delivery-itest-\(prefix)-\(UniqueName.make())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

enum UniqueName {
    /// Lower-case letters and digits only: valid as a vhost, a schema and a file name.
    static func make() -> String { UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12).description }
}

struct IntegrationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` until it holds; throws after `timeout` seconds with what
/// was last seen, so a stuck pipeline fails with a reason instead of hanging.
@discardableResult
func eventually<T: Sendable>(
    _ what: String, timeout: Double, interval: Duration = .milliseconds(100),
    _ probe: () async throws -> T, until condition: (T) -> Bool
) async throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    var last = try await probe()
    while !condition(last) {
        guard Date() < deadline else { throw IntegrationFailure("timed out after \(timeout)s waiting for \(what); last seen: \(last)") }
        try await Task.sleep(for: interval)
        last = try await probe()
    }
    return last
}
