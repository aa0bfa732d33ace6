import HeraldAPI
import Logging
import PostgresNIO
import Synchronization

/// Open watch streams that replay the log before the hub takes over, so the feed can end them
/// with an error too (`WatchHub.failAll` ends those it serves directly).
final class WatchRegistry: Sendable {
    typealias Continuation = AsyncThrowingStream<StoreEvent, any Error>.Continuation

    struct State {
        var next = 0
        var streams: [Int: Continuation] = [:]
    }

    let state = Mutex(State())

    func add(_ continuation: Continuation) -> Int {
        state.withLock { s in
            let id = s.next
            s.next += 1
            s.streams[id] = continuation
            return id
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.streams.removeValue(forKey: id) }
    }

    func failAll(_ error: any Error) {
        for c in takeAll() { c.finish(throwing: error) }
    }

    func finishAll() {
        for c in takeAll() { c.finish() }
    }

    private func takeAll() -> [Continuation] {
        state.withLock { s in
            let all = Array(s.streams.values)
            s.streams.removeAll()
            return all
        }
    }
}

extension PostgresStore {
    /// Events after `resourceVersion`. Served from this process's hub when it still holds that
    /// point, straight from its stream; otherwise (a resume point from before this process
    /// started, or from another API server) the log is replayed from PostgreSQL up to where the
    /// hub takes over.
    public func watchAll(after resourceVersion: Int64, prefix: [StoreEvent], filter: WatchHub.Filter?) async throws
        -> AsyncThrowingStream<StoreEvent, any Error>
    {
        try await awaitReady()
        guard let hub = feed.hub else { throw notReady }
        do {
            return try hub.subscribe(after: resourceVersion, prefix: prefix, filter: filter)
        } catch StoreError.expired {
            let handover = hub.lastPublished
            let upstream = try hub.subscribe(after: handover, prefix: [], filter: filter)
            try await checkWindow(resourceVersion)
            return stream(after: resourceVersion, replayThrough: handover, prefix: prefix, filter: filter, upstream: upstream)
        }
    }

    /// The window is the newest `watchWindow` revisions (and only what compaction has not removed).
    func checkWindow(_ resourceVersion: Int64) async throws {
        let (current, compacted) = try await perform("checking the watch window") { c in
            var result: (Int64, Int64) = (0, 0)
            for try await row in try await c.query(
                "SELECT r.rv, l.compacted_through FROM revision r, log_compaction l", logger: self.logger
            ).decode((Int64, Int64).self) {
                result = row
            }
            return result
        }
        let oldest = max(compacted, current - Int64(configuration.watchWindow))
        if resourceVersion < oldest {
            throw StoreError.expired(requested: resourceVersion, oldest: oldest)
        }
    }

    /// `prefix`, the log replayed from `start` through `replayThrough`, then the hub's stream
    /// (already filtered, and subscribed after `replayThrough`).
    private func stream(
        after start: Int64, replayThrough: Int64, prefix: [StoreEvent], filter: WatchHub.Filter?,
        upstream: AsyncThrowingStream<StoreEvent, any Error>
    ) -> AsyncThrowingStream<StoreEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.bufferPerWatcher + prefix.count))
        let watchers = feed.watchers
        let id = watchers.add(continuation)
        let task = Task {
            defer { watchers.remove(id) }
            do {
                for event in prefix { continuation.yield(event) }
                try await replay(after: start, through: replayThrough, filter: filter, into: continuation)
                for try await event in upstream {
                    try Self.yield(event, to: continuation, requested: start)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in
            task.cancel()
            watchers.remove(id)
        }
        return stream
    }

    /// Yields the log's events in (start, end], page by page; a hole means compaction got there first.
    private func replay(
        after start: Int64, through end: Int64, filter: WatchHub.Filter?, into continuation: WatchRegistry.Continuation
    ) async throws {
        var last = start
        while last < end {
            let from = last
            let page = try await perform("replaying the revision log") { c in
                try await PostgresRows.logPage(c, after: from, through: end, logger: self.logger)
            }
            guard !page.isEmpty else { throw StoreError.expired(requested: start, oldest: end) }
            for event in page {
                guard event.resourceVersion == last + 1 else {
                    throw StoreError.expired(requested: start, oldest: event.resourceVersion - 1)
                }
                if let kept = filter.map({ $0(event) }) ?? event {
                    try Self.yield(kept, to: continuation, requested: start)
                }
                last = event.resourceVersion
            }
        }
    }

    /// A watcher that cannot keep up is ended as expired and re-lists, as with the hub.
    private static func yield(_ event: StoreEvent, to continuation: WatchRegistry.Continuation, requested: Int64) throws {
        if case .dropped = continuation.yield(event) {
            throw StoreError.expired(requested: requested, oldest: event.resourceVersion)
        }
    }

    static let bufferPerWatcher = 20_000
}
