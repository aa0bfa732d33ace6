import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle

/// Background garbage collection: when an object is deleted, the objects it owned (by
/// ownerReference) are deleted too, after the owner is gone, as Kubernetes' background
/// propagation does. A sweep at start catches what a crash left behind.
public struct GarbageCollector: Service {
    let store: any Store
    let logger: Logger
    let batchSize: Int

    public init(store: any Store, logger: Logger, batchSize: Int = 500) {
        self.store = store
        self.logger = logger
        self.batchSize = batchSize
    }

    /// Never ends with an error while the process runs: a store that is down at start or later
    /// (PostgreSQL restarting) is retried with backoff, and a full sweep runs after every gap,
    /// since deletions may have been missed meanwhile.
    public func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // The rv comes first, so a deletion during the sweep still reaches the watch.
                let rv = try await store.currentResourceVersion()
                try await sweep()
                // Only deletions reach this stream: the hub drops every other event for it.
                let events = try await store.watchAll(after: rv, prefix: [], filter: { $0.type == .deleted ? $0 : nil })
                if failures > 0 { logger.info("garbage collector resumed", metadata: ["after": "\(failures) failures"]) }
                failures = 0
                try await cancelWhenGracefulShutdown {
                    for try await _ in events {
                        try await sweep()
                    }
                }
            } catch is CancellationError {
                return
            } catch StoreError.expired {
                // Missed events: the next round's sweep covers them.
                continue
            } catch {
                failures += 1
                logger.log(
                    level: failures == 1 ? .warning : .debug, "garbage collector failed; retrying",
                    metadata: ["error": "\(error)", "attempt": "\(failures)"])
                try? await Task.sleep(for: .milliseconds(min(30_000, 250 << min(failures, 7))))
            }
        }
    }

    /// Deletes every orphaned dependent; returns how many.
    @discardableResult
    public func sweep() async throws -> Int {
        var total = 0
        while true {
            let orphans = try await store.orphanedDependents(limit: batchSize)
            if orphans.isEmpty { return total }
            for key in orphans {
                do {
                    _ = try await store.delete(key)
                    total += 1
                } catch StoreError.notFound {
                    continue
                }
            }
            // Dependents with finalizers stay until those go; do not spin on them.
            if orphans.count < batchSize { return total }
        }
    }
}
