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
        /// This process's own commits that came before an earlier rv was published, in rv order:
        /// the reader reads only the gap below them and publishes these as they were written,
        /// instead of fetching their bodies back from the log.
        var waiting: [StoreEvent] = []
        /// The rvs of this process's commit under way: nobody else can commit past them before it
        /// ends (it holds the revision row), so the reader stops below them.
        var committing: ClosedRange<Int64>?
        /// Whether the listener connection is up: the store's cheapest sign that PostgreSQL answers.
        var connected = false
    }

    let state = Mutex(State())
    let rowsRead = Atomic<Int>(0)
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
    /// Own commits kept while the reader is behind; past this (the listener is down), they are
    /// dropped and read from the log like everyone else's when it is back.
    static let maxWaiting = 20_000

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

    /// The rvs of a commit about to be sent; `offer` or `abandonCommit` follows.
    func committing(_ events: [StoreEvent]) {
        guard let first = events.first?.resourceVersion, let last = events.last?.resourceVersion else { return }
        state.withLock { $0.committing = first...last }
    }

    /// The commit under way failed or may have: its rows, if any, are read from the log.
    func abandonCommit() {
        state.withLock { $0.committing = nil }
        wake.fire()
    }

    /// This process's own commits: published at once when nothing is missing before them,
    /// otherwise kept until the reader has published what comes before. The store's one flush
    /// loop offers its commits in rv order.
    func offer(_ events: [StoreEvent]) {
        let caughtUp = state.withLock { s in
            s.committing = nil
            s.waiting.append(contentsOf: events)
            if s.waiting.count > Self.maxWaiting { s.waiting.removeAll() }
            Self.publishWaiting(&s)
            return s.waiting.isEmpty
        }
        if !caughtUp { wake.fire() }
    }

    /// Publishes log rows read after the last published rv (and any of them published meanwhile
    /// is skipped).
    private func publishRead(_ events: [StoreEvent]) {
        state.withLock { _ = Self.publishRun(events, &$0) }
    }

    /// Publishes the own commits that now continue from the last published rv, and drops them.
    private static func publishWaiting(_ s: inout State) {
        let published = publishRun(s.waiting, &s)
        s.waiting.removeFirst(published)
    }

    /// Publishes the run of `events` (in rv order) that continues from the last published rv,
    /// skipping those already published; returns how many of `events` it used up, so a caller's
    /// queue drops exactly those.
    private static func publishRun(_ events: [StoreEvent], _ s: inout State) -> Int {
        guard let hub = s.hub else { return events.count }
        let stale = events.prefix { $0.resourceVersion <= s.lastPublished }.count
        var end = stale
        while end < events.count, events[end].resourceVersion == s.lastPublished + Int64(end - stale) + 1 { end += 1 }
        if end > stale {
            hub.publish(Array(events[stale..<end]))
            s.lastPublished = events[end - 1].resourceVersion
        }
        return end
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
            // Read before looking at our own commits: one that ends between that look and the
            // read below is past this bound, so the reader never fetches it back from the log.
            let committed = try await committedRevision(connection)
            let (from, ownNext) = state.withLock { s in
                Self.publishWaiting(&s)
                // Waiting commits came before the one under way, so the first of them is the lowest.
                return (s.lastPublished, s.waiting.first?.resourceVersion ?? s.committing?.lowerBound)
            }
            // Commits hold the revision row until they end, so every rv below one of ours is
            // committed and readable: only that gap is read while ours wait or commit.
            let through = min(committed, ownNext.map { $0 - 1 } ?? .max)
            if through <= from { return }
            let events = try await PostgresRows.logPage(connection, after: from, through: through, logger: logger, held: held)
            rowsRead.add(events.count, ordering: .relaxed)
            guard let first = events.first else {
                // Committed rows that are not there: the log lost them (compacted while we were behind).
                try await restart(connection, lostAfter: from, oldest: through)
                return
            }
            if first.resourceVersion != from + 1 {
                // Commits are serialized on the revision row, so a hole means compaction removed it.
                try await restart(connection, lostAfter: from, oldest: first.resourceVersion - 1)
                return
            }
            publishRead(events)
            if events.count < Self.pageSize && ownNext == nil { return }
        }
    }

    /// The newest committed rv: the revision row as the last commit left it.
    private func committedRevision(_ connection: PostgresConnection) async throws -> Int64 {
        var current: Int64 = 0
        for try await rv in try await connection.query("SELECT rv FROM revision", logger: logger).decode(Int64.self) {
            current = rv
        }
        return current
    }

    private func restart(_ connection: PostgresConnection, lostAfter: Int64, oldest: Int64) async throws {
        let current = try await committedRevision(connection)
        let old = state.withLock { s in
            let old = s.hub
            s.hub = WatchHub(startingAt: current, capacity: window)
            s.lastPublished = current
            s.waiting.removeAll()
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
