import HeraldAPI
import Logging
import PostgresNIO
import Synchronization

/// Feeds this process's `WatchHub` with every committed event, in resourceVersion order, from
/// whichever process wrote it.
///
/// A dedicated connection LISTENs on the store's channel; every write transaction NOTIFYs with
/// its newest rv. A notification only wakes the reader, which reads the log from the last rv it
/// published, so coalesced or missed notifications cannot lose events. Writes made by this
/// process are offered directly (no round trip) and published when they are next in order.
/// When the connection drops, the reader reconnects and continues from the same rv, so open
/// watches see nothing but a pause. If the log no longer holds what comes next (the process was
/// cut off longer than the window), every open watch ends with `expired` (410) and the hub
/// restarts at the current rv: watchers re-list instead of silently missing events.
final class PostgresLogFeed: Sendable {
    struct State {
        var hub: WatchHub?
        var lastPublished: Int64 = 0
        /// Whether the listener connection is up: the store's cheapest sign that PostgreSQL answers.
        var connected = false
    }

    let state = Mutex(State())
    /// Wakes the reader; wake-ups coalesce while it reads, since one read covers them all.
    let wake = WakeSignal()
    let watchers = WatchRegistry()
    let window: Int
    let channel: String
    let safetyPoll: Swift.Duration
    let readTimeout: Swift.Duration
    let logger: Logger
    /// This process's copy of an object at a resourceVersion, if it holds one (`RecentObjects`).
    let held: @Sendable (ObjectKey, Int64) -> Resource?
    let connect: @Sendable () async throws -> PostgresConnection
    static let pageSize = 1000

    init(
        window: Int, channel: String, safetyPoll: Swift.Duration, readTimeout: Swift.Duration, logger: Logger,
        held: @escaping @Sendable (ObjectKey, Int64) -> Resource?,
        connect: @escaping @Sendable () async throws -> PostgresConnection
    ) {
        self.held = held
        self.window = window
        self.channel = channel
        self.safetyPoll = safetyPoll
        self.readTimeout = readTimeout
        self.logger = logger
        self.connect = connect
    }

    /// Starts the hub at the store's current rv; history before it is served from the log.
    func start(at rv: Int64) {
        state.withLock { s in
            s.hub = WatchHub(startingAt: rv, capacity: window)
            s.lastPublished = rv
        }
    }

    var hub: WatchHub? { state.withLock { $0.hub } }

    var isConnected: Bool { state.withLock { $0.connected } }

    /// This process's own commits: published at once when nothing is missing before them,
    /// otherwise left to the reader, which will find them in the log.
    func offer(_ events: [StoreEvent]) {
        if !publishInOrder(events) { wake.fire() }
    }

    /// Publishes the events not yet published; false when an earlier event is still missing.
    @discardableResult
    func publishInOrder(_ events: [StoreEvent]) -> Bool {
        state.withLock { s in
            guard let hub = s.hub else { return true }
            let fresh = events.filter { $0.resourceVersion > s.lastPublished }
            guard let first = fresh.first, let last = fresh.last else { return true }
            guard first.resourceVersion == s.lastPublished + 1 else { return false }
            hub.publish(fresh)
            s.lastPublished = last.resourceVersion
            return true
        }
    }

    /// Follows the log until cancelled, reconnecting with backoff.
    func run() async {
        var backoff: Swift.Duration = .milliseconds(100)
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await connect()
                if failures > 0 { logger.info("revision log listener reconnected", metadata: ["after": "\(failures) attempts"]) }
                failures = 0
                backoff = .milliseconds(100)
                do {
                    try await follow(connection)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                state.withLock { $0.connected = false }
                if Task.isCancelled { break }
                failures += 1
                // Once when it breaks, then about once a minute while PostgreSQL stays away.
                let level: Logger.Level = failures == 1 || failures % 30 == 0 ? .warning : .debug
                logger.log(
                    level: level, "PostgreSQL revision log listener is down; watches pause and resume when it reconnects",
                    metadata: ["error": "\(PostgresFailure.storeError(error, while: "following the log"))", "attempt": "\(failures)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
        let hub = hub
        watchers.finishAll()
        hub?.finishAll()
    }

    private func follow(_ connection: PostgresConnection) async throws {
        defer { state.withLock { $0.connected = false } }
        try await connection.listen(on: channel) { notifications in
            logger.debug("following the revision log", metadata: ["channel": "\(channel)"])
            state.withLock { $0.connected = true }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Ending (the connection went) also wakes the reader so it fails and we reconnect.
                    defer { self.wake.fire() }
                    for try await _ in notifications { self.wake.fire() }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: self.safetyPoll)
                        self.wake.fire()
                    }
                }
                group.addTask {
                    while true {
                        // PostgresNIO never answers a query written to a connection that has just
                        // closed, so each read is bounded; a timeout ends this connection.
                        try await withDeadline(self.readTimeout, "following the revision log") {
                            guard !connection.isClosed else { throw StoreError.unavailable("the listener connection closed") }
                            try await self.catchUp(connection)
                        }
                        await self.wake.wait()
                        try Task.checkCancellation()
                    }
                }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Reads and publishes everything after the last published rv.
    func catchUp(_ connection: PostgresConnection) async throws {
        while true {
            let from = state.withLock { $0.lastPublished }
            // This process's own commits come back here when another's were not read yet when
            // they were offered; their objects are taken as written, not parsed again.
            let events = try await PostgresRows.logPage(connection, after: from, logger: logger, held: held)
            guard let first = events.first else { return }
            if first.resourceVersion != from + 1 {
                // Commits are serialized on the revision row, so a hole means compaction removed it.
                try await restart(connection, lostAfter: from, oldest: first.resourceVersion - 1)
                return
            }
            publishInOrder(events)
            if events.count < Self.pageSize { return }
        }
    }

    private func restart(_ connection: PostgresConnection, lostAfter: Int64, oldest: Int64) async throws {
        var current: Int64 = 0
        for try await rv in try await connection.query("SELECT rv FROM revision", logger: logger).decode(Int64.self) {
            current = rv
        }
        let old = state.withLock { s in
            let old = s.hub
            s.hub = WatchHub(startingAt: current, capacity: window)
            s.lastPublished = current
            return old
        }
        logger.warning(
            "events after this server's last one were compacted while it was cut off from PostgreSQL; open watches end with 410 and clients re-list",
            metadata: ["lastPublished": "\(lostAfter)", "oldestKept": "\(oldest)", "current": "\(current)"])
        let lost = StoreError.expired(requested: lostAfter, oldest: oldest)
        watchers.failAll(lost)
        old?.failAll(lost)
    }
}
