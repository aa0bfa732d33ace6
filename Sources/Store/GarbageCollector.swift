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

    public func run() async throws {
        try await sweep()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let events = try await store.watchAll(after: store.currentResourceVersion())
                for try await event in events.cancelOnGracefulShutdown() where event.type == .deleted {
                    try await sweep()
                }
            } catch is CancellationError {
                return
            } catch StoreError.expired {
                // Missed events: sweep covers them, then watch again.
                try await sweep()
            } catch {
                logger.warning("garbage collector watch failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
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
