import Foundation
import HeraldAPI
import Logging
import Store

/// Moves one Delivery along in time: publishes it when due (scheduled sends, retries after
/// their backoff), expires it after `deliverBy`, publishes again a job queued too long with no
/// result. Each decision comes from the `DeliveryStateMachine`'s `.tick`.
struct DeliveryReconciler: Sendable {
    let caches: Caches
    let actions: DeliveryActions
    let logger: Logger

    /// True when done; false to retry with backoff.
    func reconcile(_ key: ObjectKey) async -> Bool {
        guard let d = caches.deliveries.get(key), !d.deliveryPhase.isTerminal else { return true }
        // The Notification reconciler owns deletion (it cancels); a delivery whose owner is gone
        // waits for the garbage collector.
        guard let n = caches.owner(of: d), !n.isDeleting else { return true }
        var log = logger
        log[metadataKey: "delivery"] = .string("\(key.namespace)/\(key.name)")
        log[metadataKey: "correlationID"] = .string(d.uid)
        let channel = caches.channel(namespace: d.namespace, name: d.spec?["channel"]?.stringValue ?? "")
        let now = actions.settings.clock.now()
        let ctx = actions.context(notification: n, channel: channel, now: now)

        // Decide on the cached copy first: most ticks change nothing (not due yet) and need no write.
        let preview = actions.machine.handle(.tick, status: d.deliveryStatus, context: ctx)
        if preview.status == d.deliveryStatus {
            if let wake = preview.wakeAt { actions.deliveryQueue.add(key, at: wake) }
            return true
        }
        if !preview.publishes.isEmpty {
            // Do not record an attempt that cannot be published (its Channel or Template is gone);
            // the Notification's Accepted condition says why, and the delivery looks again later.
            do {
                _ = try actions.job(for: d, notification: n, channel: channel, attempt: 1)
            } catch {
                log.notice("delivery waits", metadata: ["reason": "\(error)"])
                actions.deliveryQueue.add(key, after: 10)
                return true
            }
        }
        do {
            let (t, written) = try await actions.apply(.tick, to: key, context: ctx)
            try await actions.perform(t, delivery: written, notification: n, channel: channel, logger: log)
            return true
        } catch StoreError.notFound {
            return true
        } catch {
            log.warning("delivery step failed; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }
}
