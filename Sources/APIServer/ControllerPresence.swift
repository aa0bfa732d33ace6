import Foundation
import HeraldAPI
import Store
import Synchronization

/// Whether a controller leads right now, read from its store lease and cached briefly. A
/// Notification created while one leads gets the controller's finalizer at once, as Kubernetes'
/// admission adds `kubernetes.io/pvc-protection`: the controller is spared a write and a
/// reconcile per Notification. With no controller running, deletes stay immediate instead of
/// waiting for one that may never come.
final class ControllerPresence: Sendable {
    private struct State {
        var leads = false
        var checkedAt: ContinuousClock.Instant?
        var checking = false
    }

    let store: any Store
    let leaseName: String
    let maxAge: Swift.Duration
    let now: @Sendable () -> Date
    private let state = Mutex(State())

    init(store: any Store, leaseName: String, maxAge: Swift.Duration = .seconds(1), now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.leaseName = leaseName
        self.maxAge = maxAge
        self.now = now
    }

    func controllerLeads() async -> Bool {
        let start = ContinuousClock.now
        let known: Bool? = state.withLock { s in
            // Fresh, or another request is reading it: the last answer will do.
            if let at = s.checkedAt, s.checking || start - at < maxAge { return s.leads }
            s.checking = true
            return nil
        }
        if let known { return known }
        let leads: Bool
        do {
            leads = try await store.lease(named: leaseName).map { $0.expires > now() } ?? false
        } catch {
            // Unread, the controller adds the finalizer itself on its first reconcile, as before.
            leads = false
        }
        state.withLock { s in
            s.leads = leads
            s.checkedAt = ContinuousClock.now
            s.checking = false
        }
        return leads
    }

    /// Finalizers a new object of this kind gets at creation.
    func creationFinalizers(_ definition: KindDefinition) async -> [String] {
        guard definition.kind == KindDefinition.notification.kind, await controllerLeads() else { return [] }
        return [ControllerConventions.notificationFinalizer]
    }
}
