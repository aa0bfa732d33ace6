import Foundation
import HeraldAPI
import Logging
import Store

/// Writes a Template's `Valid` condition and `status.digest` from what the injected checker's
/// parser says about its content (`TemplateValidity` decides). Writes only when the status
/// changes, so a resync of unchanged Templates costs no writes.
struct TemplateReconciler: Sendable {
    let store: any Store
    let caches: Caches
    let checker: any TemplateChecker
    let clock: any ControllerClock
    let logger: Logger

    /// True when done; false to retry with backoff.
    func reconcile(_ key: ObjectKey) async -> Bool {
        guard let cached = caches.templates.get(key), !cached.isDeleting else { return true }
        // Decide on the cached copy first: most calls (resyncs, status echoes) change nothing.
        let review = checker.review(template: cached.spec ?? .emptyObject)
        let now = clock.now()
        guard
            TemplateValidity.status(
                current: cached.status, spec: cached.spec ?? .emptyObject, generation: cached.generation, review: review,
                now: now) != nil
        else { return true }
        return await StatusWrite.apply(key, in: store, logger: logger) { [checker] current in
            guard current.uid == cached.uid else { return nil }
            let spec = current.spec ?? .emptyObject
            // The spec may have moved on since the cache: review what is stored.
            let fresh = current.generation == cached.generation ? review : checker.review(template: spec)
            return TemplateValidity.status(
                current: current.status, spec: spec, generation: current.generation, review: fresh, now: now)
        }
    }
}
