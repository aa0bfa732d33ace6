import Foundation
import HeraldAPI
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The PostgreSQL store, for several API servers on one database.
///
/// - resourceVersions come from one revision row that every write transaction locks, so commit
///   order is rv order in every process; each event is also appended to the `log` table.
/// - Writes are group-committed, as in the embedded store: every write waiting when a
///   transaction starts joins it (see `PostgresWriteBatch`).
/// - Watches are fed by LISTEN/NOTIFY and read the log (see `PostgresLogFeed`); resuming from an
///   rv in the window works in any process, older points get `expired` (410).
/// - While PostgreSQL is unreachable every call fails with `StoreError.unavailable` within the
///   configured timeout, and everything recovers by itself when it is back.
///
/// The store is a `Service`: put it in a `ServiceGroup`, or call `start()` to run it in a task it
/// owns. Calls made before the schema is migrated fail as unavailable; `waitUntilReady` waits.
public final class PostgresStore: Store, Service {
    public let kinds: KindRegistry
    public let configuration: PostgresStoreConfiguration
    let client: PostgresClient
    let logger: Logger
    let feed: PostgresLogFeed
    let writes = Mutex(WriteQueue())
    let lifecycle = Mutex(Lifecycle())

    struct PendingWrite: Sendable {
        let decision: PostgresWriteBatch.Decision
        let continuation: CheckedContinuation<MutationResult, any Error>
    }

    struct WriteQueue {
        var pending: [PendingWrite] = []
        var flushing = false
    }

    struct Lifecycle {
        var ready = false
        var task: Task<Void, Never>?
    }

    public init(configuration: PostgresStoreConfiguration, kinds: KindRegistry = .herald,
                logger: Logger = Logger(label: "herald.store.postgres"))
    {
        self.kinds = kinds
        self.configuration = configuration
        var log = logger
        log[metadataKey: "store"] = "\(configuration.redactedDescription)"
        self.logger = log
        client = PostgresClient(configuration: Self.clientConfiguration(configuration), backgroundLogger: log)
        let listenerLogger = log
        feed = PostgresLogFeed(
            window: configuration.watchWindow, channel: configuration.notifyChannel,
            safetyPoll: configuration.safetyPollInterval, readTimeout: configuration.operationTimeout, logger: log
        ) {
            // Built per attempt: the TLS context can fail to load, which is then a connect failure.
            try await PostgresConnection.connect(
                configuration: try Self.connectionConfiguration(configuration), id: 0, logger: listenerLogger)
        }
    }

    // MARK: lifecycle

    /// Runs the connection pool, applies migrations (retrying until PostgreSQL answers), then
    /// follows the revision log and compacts it, until cancelled or shut down gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask {
                    guard await self.prepare() else { return }
                    await withDiscardingTaskGroup { inner in
                        inner.addTask { await self.feed.run() }
                        inner.addTask { await self.compactPeriodically() }
                    }
                }
            }
        }
        lifecycle.withLock { $0.ready = false }
    }

    /// Runs the store in a task it owns (for callers without a ServiceGroup, and tests).
    public func start() {
        lifecycle.withLock { s in
            guard s.task == nil else { return }
            s.task = Task { try? await self.run() }
        }
    }

    /// Ends what `start()` began and waits for it.
    public func shutdown() async {
        let task = lifecycle.withLock { s in
            let t = s.task
            s.task = nil
            return t
        }
        task?.cancel()
        await task?.value
    }

    public var isReady: Bool { lifecycle.withLock { $0.ready } }

    /// Waits until migrations ran and watches are served; throws `unavailable` after `timeout`.
    public func waitUntilReady(timeout: Swift.Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isReady {
            if ContinuousClock.now >= deadline {
                throw StoreError.unavailable(
                    "PostgreSQL at \(configuration.redactedDescription) did not become ready within \(timeout): is it running, and are the credentials right?")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func prepare() async -> Bool {
        var backoff: Swift.Duration = .milliseconds(200)
        while !Task.isCancelled {
            do {
                let rv = try await client.withConnection { c in
                    try await PostgresSchema.migrate(c, schema: self.configuration.schema, kinds: self.kinds, logger: self.logger)
                    var rv: Int64 = 0
                    for try await value in try await c.query("SELECT rv FROM revision", logger: self.logger).decode(Int64.self) {
                        rv = value
                    }
                    return rv
                }
                feed.start(at: rv)
                lifecycle.withLock { $0.ready = true }
                logger.info("PostgreSQL store ready", metadata: ["resourceVersion": "\(rv)"])
                return true
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "PostgreSQL store not ready; retrying",
                    metadata: ["error": "\(PostgresFailure.storeError(error, while: "migrating"))", "retryIn": "\(backoff)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        return false
    }

    /// Calls made while the store is starting wait for it (migrations take a moment), up to the
    /// operation timeout; then they fail as unavailable, as when PostgreSQL is down.
    func awaitReady() async throws {
        if isReady { return }
        let deadline = ContinuousClock.now + configuration.operationTimeout
        while !isReady {
            if ContinuousClock.now >= deadline { throw notReady }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    var notReady: StoreError {
        .unavailable("the PostgreSQL store is not ready: it is starting, or PostgreSQL at \(configuration.redactedDescription) is unreachable")
    }

    /// Runs `body` on a pooled connection, within the configured timeout, mapping failures.
    func perform<T: Sendable>(_ what: String, timeout: Swift.Duration? = nil,
                              _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T
    {
        try await awaitReady()
        return try await withDeadline(timeout ?? configuration.operationTimeout, what) {
            try await self.client.withConnection { c in
                // A query written to a connection that just closed is never answered (PostgresNIO);
                // the deadline would catch it, but failing at once spares the caller the wait.
                guard !c.isClosed else { throw StoreError.unavailable("the PostgreSQL connection closed") }
                return try await body(c)
            }
        }
    }

    // MARK: reads

    public func get(_ key: ObjectKey) async throws -> Resource {
        guard let found = try await load(key) else { throw StoreError.notFound(key) }
        return found
    }

    func load(_ key: ObjectKey) async throws -> Resource? {
        try await perform("reading \(key)") { c in
            var found: Resource?
            for try await body in try await c.query(
                "SELECT body FROM objects WHERE kind = \(key.kind) AND namespace = \(key.namespace) AND name = \(key.name)",
                logger: self.logger
            ).decode(ByteBuffer.self) {
                found = try PostgresRows.decode(body)
            }
            return found
        }
    }

    public func currentResourceVersion() async throws -> Int64 {
        try await perform("reading the resourceVersion") { c in
            var rv: Int64 = 0
            for try await value in try await c.query("SELECT rv FROM revision", logger: self.logger).decode(Int64.self) {
                rv = value
            }
            return rv
        }
    }

    public func list(kind: String, namespace: String?, options: ListOptions) async throws -> ResourceList {
        let start = try options.continueToken.map(ContinueToken.init(decoding:))
        let limit = options.limit.flatMap { $0 > 0 ? $0 : nil }
        let query = PostgresListQuery.make(
            kind: kind, namespace: namespace ?? options.fieldSelector.pinnedNamespace, options: options,
            definition: kinds.kind(kind), after: start, limit: limit.map { $0 + 1 })
        let (rv, objects) = try await perform("listing \(kind)") { c in
            var rv: Int64 = 0
            var objects: [Resource] = []
            for try await (version, body) in try await c.query(query, logger: self.logger).decode((Int64, ByteBuffer?).self) {
                rv = version
                if let body { objects.append(try PostgresRows.decode(body)) }
            }
            return (rv, objects)
        }
        var items = objects
        var token: String?
        if let limit, items.count > limit {
            items.removeLast(items.count - limit)
            if let last = items.last {
                token = ContinueToken(resourceVersion: rv, namespace: last.namespace, name: last.name).encoded
            }
        }
        return ResourceList(items: items, resourceVersion: rv, continueToken: token)
    }

    public func orphanedDependents(limit: Int) async throws -> [ObjectKey] {
        try await perform("finding orphaned dependents") { c in
            var keys: [ObjectKey] = []
            let rows = try await c.query(
                """
                SELECT d.kind, d.namespace, d.name FROM owners d
                GROUP BY d.kind, d.namespace, d.name
                HAVING bool_and(NOT EXISTS (SELECT 1 FROM objects p WHERE p.uid = d.owner_uid))
                LIMIT \(Int64(limit))
                """, logger: self.logger)
            for try await (kind, namespace, name) in rows.decode((String, String, String).self) {
                keys.append(ObjectKey(kind: kind, namespace: namespace, name: name))
            }
            return keys
        }
    }

    /// For `/readyz`: a short timeout, so a probe answers quickly while PostgreSQL is down.
    public func ping() async throws {
        try await perform("answering a health check", timeout: min(configuration.operationTimeout, .seconds(2))) { c in
            _ = try await c.query("SELECT 1", logger: self.logger)
        }
    }

    // MARK: compaction

    /// Deletes log entries older than the window. The window is enforced on every resume anyway
    /// (`checkWindow`); this only bounds the table. One process at a time does it.
    private func compactPeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.compactionInterval)
            do {
                try await compact()
            } catch {
                if Task.isCancelled { return }
                logger.debug("log compaction skipped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Deletes log entries older than the window now (the store also does it periodically).
    public func compact() async throws {
        let window = Int64(configuration.watchWindow)
        let lockName = "herald.compact." + (configuration.schema ?? "default")
        try await perform("compacting the revision log", timeout: .seconds(60)) { c in
            try await c.query("BEGIN", logger: self.logger)
            do {
                var locked = false
                for try await got in try await c.query("SELECT pg_try_advisory_xact_lock(hashtext(\(lockName)))", logger: self.logger)
                    .decode(Bool.self)
                {
                    locked = got
                }
                if locked {
                    try await c.query(
                        """
                        WITH target AS (SELECT rv - \(window) AS through FROM revision),
                        removed AS (DELETE FROM log WHERE rv <= (SELECT through FROM target))
                        UPDATE log_compaction SET compacted_through = (SELECT through FROM target)
                        WHERE compacted_through < (SELECT through FROM target)
                        """, logger: self.logger)
                }
                try await c.query("COMMIT", logger: self.logger)
            } catch {
                _ = try? await c.query("ROLLBACK", logger: self.logger)
                throw error
            }
        }
    }

    // MARK: configuration

    static func clientConfiguration(_ config: PostgresStoreConfiguration) -> PostgresClient.Configuration {
        var c = PostgresClient.Configuration(
            host: config.host, port: config.port, username: config.username, password: config.password,
            database: config.database, tls: tls(config.tls))
        c.options.maximumConnections = config.poolSize
        c.options.minimumConnections = min(2, config.poolSize)
        c.options.connectTimeout = .seconds(5)
        c.options.additionalStartupParameters = startupParameters(config)
        return c
    }

    static func connectionConfiguration(_ config: PostgresStoreConfiguration) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch config.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var c = PostgresConnection.Configuration(
            host: config.host, port: config.port, username: config.username, password: config.password,
            database: config.database, tls: tls)
        c.options.connectTimeout = .seconds(5)
        c.options.additionalStartupParameters = startupParameters(config)
        return c
    }

    static func tls(_ mode: PostgresStoreConfiguration.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(.makeClientConfiguration())
        case .require: return .require(.makeClientConfiguration())
        }
    }

    static func startupParameters(_ config: PostgresStoreConfiguration) -> [(String, String)] {
        var parameters = [("application_name", "herald")]
        if let schema = config.schema { parameters.append(("search_path", schema)) }
        return parameters
    }
}
