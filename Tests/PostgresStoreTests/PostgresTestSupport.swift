import Foundation
import HeraldAPI
import Logging
import PostgresNIO
import Store
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The cluster the tests use: `eval "$(scripts/postgres-start.sh)"` exports these.
enum PostgresTestEnvironment {
    static var url: String? { nonEmpty("HERALD_TEST_POSTGRES_URL") }
    /// A script taking stop | start | restart, for the connection-loss tests.
    static var control: String? { nonEmpty("HERALD_TEST_POSTGRES_CTL") }

    static let disabledMessage: Comment =
        "set HERALD_TEST_POSTGRES_URL to run the PostgreSQL tests: eval \"$(scripts/postgres-start.sh)\" starts a private cluster and exports it"

    private static func nonEmpty(_ name: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else { return nil }
        return v
    }

    static func configuration(schema: String, window: Int = 50_000, memoryWindow: Int = 10_000, poolSize: Int = 4) throws
        -> PostgresStoreConfiguration
    {
        guard let url else { throw TestFailure("HERALD_TEST_POSTGRES_URL is not set") }
        var config = try PostgresStoreConfiguration(url: url)
        if config.tls == .prefer { config.tls = .disable }
        config.schema = schema
        config.watchWindow = window
        config.memoryWindow = memoryWindow
        config.poolSize = poolSize
        config.operationTimeout = .seconds(3)
        return config
    }

    static func uniqueSchema() -> String {
        "herald_test_" + UUID().uuidString.prefix(8).lowercased()
    }

    /// A started store on `schema`; the caller shuts it down.
    static func makeStore(
        schema: String, window: Int = 50_000, memoryWindow: Int = 10_000, poolSize: Int = 4, label: String = "test"
    ) async throws -> PostgresStore {
        var logger = Logger(label: "herald.test.\(label)")
        logger.logLevel = ProcessInfo.processInfo.environment["HERALD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let store = PostgresStore(
            configuration: try configuration(schema: schema, window: window, memoryWindow: memoryWindow, poolSize: poolSize),
            logger: logger)
        store.start()
        do {
            try await store.waitUntilReady(timeout: .seconds(30))
        } catch {
            await store.shutdown()
            throw error
        }
        return store
    }

    /// Runs `body` with a fresh schema, dropped afterwards.
    static func withSchema(_ body: (String) async throws -> Void) async throws {
        let schema = uniqueSchema()
        do {
            try await body(schema)
        } catch {
            try? await dropSchema(schema)
            throw error
        }
        try await dropSchema(schema)
    }

    /// Runs `body` with a fresh store on a fresh schema.
    static func withStore(window: Int = 50_000, _ body: (PostgresStore) async throws -> Void) async throws {
        try await withSchema { schema in
            try await withStore(schema: schema, window: window, body)
        }
    }

    /// Runs `body` with two started stores ("API servers" a and b) on one fresh schema.
    static func withTwoServers(_ body: (_ schema: String, _ a: PostgresStore, _ b: PostgresStore) async throws -> Void)
        async throws
    {
        try await withSchema { schema in
            try await withStore(schema: schema, label: "a") { a in
                try await withStore(schema: schema, label: "b") { b in
                    try await body(schema, a, b)
                }
            }
        }
    }

    /// Runs `body` with a started store on `schema` (one "API server"), shut down afterwards.
    static func withStore(
        schema: String, window: Int = 50_000, poolSize: Int = 4, label: String = "test",
        _ body: (PostgresStore) async throws -> Void
    ) async throws {
        let store = try await makeStore(schema: schema, window: window, poolSize: poolSize, label: label)
        do {
            try await body(store)
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }

    static func dropSchema(_ schema: String) async throws {
        try await withAdminConnection { connection, logger in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: logger)
        }
    }

    /// The `previous` column of the `log` rows in `schema` with rv in `range`, as text, by rv,
    /// where it is set.
    static func logPrevious(schema: String, rvs range: ClosedRange<Int64>) async throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        try await withAdminConnection { connection, logger in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT rv, previous FROM \(schema).log WHERE previous IS NOT NULL AND rv BETWEEN \(range.lowerBound) AND \(range.upperBound)"
                ), logger: logger)
            for try await (rv, previous) in rows.decode((Int64, ByteBuffer).self) {
                out[rv] = String(buffer: previous)
            }
        }
        return out
    }

    /// Every row of `sql`, run with `schema` first on the search path, each cell as text.
    static func query(schema: String, _ sql: String) async throws -> [[String]] {
        var out: [[String]] = []
        try await withAdminConnection { connection, logger in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"), logger: logger)
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                out.append(try row.map { try $0.decode(String?.self) ?? "" })
            }
        }
        return out
    }

    private static func withAdminConnection(_ body: (PostgresConnection, Logger) async throws -> Void) async throws {
        guard let url else { return }
        var config = try PostgresStoreConfiguration(url: url)
        if config.tls == .prefer { config.tls = .disable }
        let logger = Logger(label: "herald.test.admin")
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: config.host, port: config.port, username: config.username, password: config.password,
                database: config.database, tls: .disable),
            id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        try await body(connection, logger)
    }

    /// Runs the control script (`stop`, `start`, `restart`) and waits for it.
    static func control(_ action: String) async throws {
        guard let script = control else { throw TestFailure("HERALD_TEST_POSTGRES_CTL is not set") }
        let status = try await ChildProcess.run("/bin/sh", [script, action])
        if status != 0 { throw TestFailure("\(script) \(action) exited with \(status)") }
    }
}

/// posix_spawn + waitpid polling. Foundation's `Process.waitUntilExit` can miss the exit of a
/// child that started a daemon (pg_ctl) and leave it a zombie, hanging the test.
enum ChildProcess {
    static func run(_ path: String, _ arguments: [String]) async throws -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let spawned = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot start \(path): errno \(spawned)") }
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 { throw TestFailure("waitpid failed for \(path): errno \(errno)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Collects events until `count` arrived or `seconds` passed.
func collect(_ stream: AsyncThrowingStream<StoreEvent, any Error>, count: Int, seconds: Double = 10) async throws -> [StoreEvent] {
    let box = EventBox()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for try await e in stream {
                if box.append(e) >= count { return }
            }
        }
        group.addTask { try await Task.sleep(for: .seconds(seconds)) }
        _ = try await group.next()
        group.cancelAll()
    }
    return box.events
}

final class EventBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [StoreEvent] = []
    func append(_ e: StoreEvent) -> Int {
        lock.lock()
        defer { lock.unlock() }
        storage.append(e)
        return storage.count
    }
    var events: [StoreEvent] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

/// Retries `body` until it stops throwing or `seconds` pass.
func eventually<T>(seconds: Double = 30, _ body: () async throws -> T) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        do {
            return try await body()
        } catch {
            if Date() > deadline { throw error }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Creates `object`, retrying while the store is unavailable; a retry finding it already there
/// (the first attempt committed but its answer was lost) returns the stored object.
func createEventually(_ store: some Store, _ object: Resource, seconds: Double = 30) async throws -> Resource {
    try await eventually(seconds: seconds) {
        do {
            return try await store.create(object)
        } catch StoreError.alreadyExists(let key) {
            return try await store.get(key)
        }
    }
}
