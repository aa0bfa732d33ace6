import HeraldAPI
import Logging
import ServiceLifecycle
import Store

/// Feeds several informers from one list per kind and ONE watch of the store, as client-go's
/// shared informer factory does. Each informer watching on its own made every store event cross
/// a stream per informer (and a relay per stream), though each informer keeps only its own
/// kind; here an event crosses one stream and is handed to every informer in order, so each
/// still sees every resourceVersion go by (``Informer/waitFor(resourceVersion:timeout:)``).
public struct SharedInformers: Sendable {
    let store: any Store
    let informers: [Informer]
    let logger: Logger

    public init(store: any Store, informers: [Informer], logger: Logger) {
        self.store = store
        self.informers = informers
        self.logger = logger
    }

    /// Lists and watches until cancelled or shut down gracefully; each informer resyncs on its period.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for informer in informers where informer.resyncPeriod > 0 {
                group.addTask { await informer.resyncLoop() }
            }
            await listAndWatch()
            group.cancelAll()
        }
    }

    private func listAndWatch() async {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Lists run one after another, so later kinds are listed at later versions: the
                // watch starts at the earliest, and an informer skips what its list already holds.
                var listedAt: [Int64] = []
                for informer in informers { listedAt.append(try await informer.relist()) }
                failures = 0
                let events = try await store.watchAll(after: listedAt.min() ?? 0)
                // Cancelled as a whole on shutdown: `cancelOnGracefulShutdown()` would run every
                // event through an async-algorithms merge.
                try await cancelWhenGracefulShutdown { [informers, listedAt] in
                    for try await event in events {
                        for (i, informer) in informers.enumerated() where event.resourceVersion > listedAt[i] {
                            informer.apply(event)
                        }
                    }
                }
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.debug("watch ended; re-listing")
            } catch is CancellationError {
                return
            } catch StoreError.expired(let requested, let oldest) {
                logger.notice("watch expired; re-listing", metadata: ["requested": "\(requested)", "oldest": "\(oldest)"])
            } catch {
                failures += 1
                logger.warning("list/watch failed; retrying", metadata: ["error": "\(error)", "failures": "\(failures)"])
                try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(failures, 6)))))
            }
        }
    }
}
