import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Store

/// Leader election on the store's fenced lease: one controller replica works, the others wait
/// and take over when the leader's lease expires (it died) or is released (it stopped).
///
/// The leader renews every `renewPeriod` (shorter than `leaseDuration`, so one slow renew does
/// not lose the lease). When a renew is refused (another holder, or the version moved on) or
/// the lease runs out while renews fail, the leader stops its work at once: a fenced lease
/// only guarantees one leader if the old one steps down before its lease would have expired.
public struct LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var leaseName: String
        /// This replica's name (hostname and pid by default).
        public var identity: String
        public var leaseDuration: Double
        public var renewPeriod: Double
        /// How often a waiting replica tries to acquire.
        public var retryPeriod: Double

        public init(
            leaseName: String = ControllerConventions.leaseName, identity: String = LeaderElector.defaultIdentity(),
            leaseDuration: Double = 15, renewPeriod: Double = 5, retryPeriod: Double = 2
        ) {
            self.leaseName = leaseName
            self.identity = identity
            self.leaseDuration = leaseDuration
            // Renewing at or after expiry would let another replica in between.
            self.renewPeriod = min(renewPeriod, leaseDuration / 2)
            self.retryPeriod = retryPeriod
        }
    }

    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Why leading stopped.
    public enum LostLeadership: Error, CustomStringConvertible {
        case renewRefused(holder: String)
        case renewFailing(String)

        public var description: String {
            switch self {
            case .renewRefused(let holder):
                return "the lease was taken over or expired; \(holder) stops leading"
            case .renewFailing(let why):
                return "could not renew the lease before it expired (\(why)); stopping so another replica can lead"
            }
        }
    }

    let store: any Store
    public let configuration: Configuration
    let clock: any ControllerClock
    let logger: Logger

    public init(
        store: any Store, configuration: Configuration = Configuration(), clock: any ControllerClock = SystemClock(), logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        var log = logger
        log[metadataKey: "identity"] = .string(configuration.identity)
        self.logger = log
    }

    /// Campaigns, runs `lead` while leading, and campaigns again after losing the lease, until
    /// cancelled or graceful shutdown. `lead` is cancelled when leadership is lost.
    public func run(_ lead: @escaping @Sendable () async throws -> Void) async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            guard let lease = try await acquire() else { return }
            logger.info("became leader", metadata: ["lease": .string(configuration.leaseName)])
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await lead() }
                    group.addTask { try await self.renewLoop(lease) }
                    // Whichever ends first (work finished, shutdown, or the lease lost) ends both.
                    try await group.next()
                    group.cancelAll()
                }
            } catch let lost as LostLeadership {
                logger.error("lost leadership", metadata: ["reason": .string(lost.description)])
                continue
            } catch is CancellationError {
                return
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
        }
    }

    /// Tries until the lease is ours; nil when cancelled or shutting down.
    func acquire() async throws -> Lease? {
        var announced = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let lease = try await store.acquireLease(
                    configuration.leaseName, holder: configuration.identity, duration: configuration.leaseDuration,
                    now: clock.now())
                {
                    return lease
                }
                if !announced {
                    logger.info("another replica leads; waiting to take over", metadata: ["lease": .string(configuration.leaseName)])
                    announced = true
                }
            } catch is CancellationError {
                return nil
            } catch {
                logger.warning("lease acquire failed; retrying", metadata: ["error": "\(error)"])
            }
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(configuration.retryPeriod))
            } catch { return nil }
        }
        return nil
    }

    /// Renews until refused or cancelled; releases the lease when cancelled (shutdown, or the work
    /// ended), so a standby takes over at once instead of after the lease duration. Cancellation may
    /// land during a renew as well as between renews; both hand the lease over.
    func renewLoop(_ initial: Lease) async throws {
        var lease = initial
        do {
            while true {
                try await clock.sleep(until: clock.now().addingTimeInterval(configuration.renewPeriod))
                if Task.isShuttingDownGracefully { throw CancellationError() }
                lease = try await renew(lease)
            }
        } catch let lost as LostLeadership {
            throw lost
        } catch {
            // An unstructured task: this one is cancelled, and the release must still run.
            let store = self.store
            let held = lease
            await Task { try? await store.releaseLease(held) }.value
            logger.info("released the lease")
            throw CancellationError()
        }
    }

    /// One renewal, retried while it fails until just before the lease expires.
    private func renew(_ lease: Lease) async throws -> Lease {
        while true {
            do {
                guard let next = try await store.renewLease(lease, now: clock.now()) else {
                    throw LostLeadership.renewRefused(holder: configuration.identity)
                }
                return next
            } catch let lost as LostLeadership {
                throw lost
            } catch {
                // Cancelled mid-renew: not a lost lease; the caller hands it over.
                try Task.checkCancellation()
                if clock.now().addingTimeInterval(configuration.retryPeriod / 2) >= lease.expires {
                    throw LostLeadership.renewFailing("\(error)")
                }
                try await clock.sleep(until: clock.now().addingTimeInterval(min(1, configuration.retryPeriod / 2)))
            }
        }
    }
}
