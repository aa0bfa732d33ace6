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
    /// Writes arriving while a transaction runs wait and commit together in the next one.
    let writes: GroupCommit<StoreWrite, MutationResult>
    let recent: RecentObjects
    let lifecycle = Mutex(Lifecycle())

    struct Lifecycle {
        var ready = false
        var task: Task<Void, Never>?
    }

    public init(
        configuration: PostgresStoreConfiguration, kinds: KindRegistry = .herald,
        logger: Logger = Logger(label: "herald.store.postgres")
    ) {
        self.kinds = kinds
        self.configuration = configuration
        var log = logger
        log[metadataKey: "store"] = "\(configuration.redactedDescription)"
        self.logger = log
        client = PostgresClient(configuration: Self.clientConfiguration(configuration), backgroundLogger: log)
        let listenerLogger = log
        let recent = RecentObjects()
        self.recent = recent
        feed = PostgresLogFeed(
            window: min(configuration.watchWindow, configuration.memoryWindow), channel: configuration.notifyChannel,
            safetyPoll: configuration.safetyPollInterval, readTimeout: configuration.operationTimeout, logger: log,
            held: { recent.object($0, at: $1) }
        ) {
            // Built per attempt: the TLS context can fail to load, which is then a connect failure.
            try await PostgresConnection.connect(
                configuration: try Self.connectionConfiguration(configuration), id: 0, logger: listenerLogger)
        }
        let writer = PostgresWriteBatch(
            kinds: kinds, channel: configuration.notifyChannel, recent: recent, feed: feed, logger: log)
        let executor = SerialQueueExecutor(label: "herald.store.commit")
        writes = GroupCommit(maxBatch: configuration.maxBatch, executor: executor) { [client, feed] batch in
            await Self.commit(batch, writer: writer, client: client, feed: feed, configuration: configuration, on: executor)
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
                        inner.addTask { await self.analyzeUntilAnalyzed() }
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

    /// Log rows this process has read back from PostgreSQL to feed its watches: other processes'
    /// commits, never its own (those are published as written).
    public var logRowsRead: Int { feed.rowsRead.load(ordering: .relaxed) }

    /// Waits until migrations ran and watches are served; throws `unavailable` after `timeout`.
    public func waitUntilReady(timeout: Swift.Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isReady {
            if ContinuousClock.now >= deadline {
                throw StoreError.unavailable(
                    "PostgreSQL at \(configuration.redactedDescription) did not become ready within \(timeout): is it running, and are the credentials right?"
                )
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

    /// While the log listener cannot reach PostgreSQL, calls get a short deadline: the pool would
    /// otherwise hold each request for the full timeout, and clients should hear 503 at once.
    var currentTimeout: Swift.Duration { Self.timeout(configuration, feed: feed) }

    static func timeout(_ configuration: PostgresStoreConfiguration, feed: PostgresLogFeed) -> Swift.Duration {
        feed.isConnected ? configuration.operationTimeout : min(configuration.operationTimeout, .seconds(1))
    }

    var notReady: StoreError {
        .unavailable(
            "the PostgreSQL store is not ready: it is starting, or PostgreSQL at \(configuration.redactedDescription) is unreachable")
    }

    /// Runs `body` on a pooled connection, within the configured timeout, mapping failures.
    func perform<T: Sendable>(
        _ what: String, timeout: Swift.Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await awaitReady()
        return try await withDeadline(timeout ?? currentTimeout, what) {
            try await self.client.withConnection { c in
                // A query written to a connection that just closed is never answered (PostgresNIO);
                // the deadline would catch it, but failing at once spares the caller the wait.
                guard !c.isClosed else { throw StoreError.unavailable("the PostgreSQL connection closed") }
                return try await body(c)
            }
        }
    }
}
