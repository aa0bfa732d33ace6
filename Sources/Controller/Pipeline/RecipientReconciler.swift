import Foundation
import HeraldAPI
import Logging
import Store

/// Keeps a Recipient's `StaleAddresses` condition true to its spec: once the user removes or
/// refreshes a token or subscription a provider reported gone, it leaves `status.staleAddresses`
/// and the condition follows (`StaleAddressCondition` decides; writes only on change).
struct RecipientReconciler: Sendable {
    let store: any Store
    let caches: Caches
    let clock: any ControllerClock
    let logger: Logger

    /// True when done; false to retry with backoff.
    func reconcile(_ key: ObjectKey) async -> Bool {
        guard let cached = caches.recipients.get(key), !cached.isDeleting else { return true }
        let now = clock.now()
        guard
            StaleAddressCondition.status(
                current: cached.status, spec: cached.spec ?? .emptyObject, generation: cached.generation, now: now) != nil
        else { return true }
        return await StatusWrite.apply(key, in: store, logger: logger) { current in
            StaleAddressCondition.status(
                current: current.status, spec: current.spec ?? .emptyObject, generation: current.generation, now: now)
        }
    }
}
