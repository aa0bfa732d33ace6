import Foundation
import HeraldAPI
import Logging
import Store

/// Reconciles one Notification: keeps the finalizer, plans its Deliveries, creates the missing
/// ones (dispatching those due now in the same write), cancels pairs that left the spec, and
/// writes the aggregate status when it changed. On deletion it cancels what is still pending
/// and then lets the object go.
struct NotificationReconciler: Sendable {
    static let finalizer = ControllerConventions.notificationFinalizer

    let store: any Store
    let caches: Caches
    let actions: DeliveryActions
    let planner: NotificationPlanner
    let aggregator = StatusAggregator()
    let recorder: EventRecorder
    let queue: WorkQueue<ObjectKey>
    let logger: Logger

    var clock: any ControllerClock { actions.settings.clock }

    /// True when done; false to retry with backoff.
    func reconcile(_ key: ObjectKey) async -> Bool {
        guard let n = caches.notifications.get(key) else { return true }
        var log = logger
        log[metadataKey: "notification"] = .string("\(key.namespace)/\(key.name)")
        log[metadataKey: "correlationID"] = .string(n.uid)
        do {
            if n.isDeleting {
                try await finalize(n, log)
            } else {
                try await sync(n, log)
            }
            return true
        } catch StoreError.notFound {
            return true
        } catch {
            log.warning("reconcile failed; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }

    // MARK: deletion

    /// Cancels every delivery still in flight, then removes the finalizer so the store deletes
    /// the Notification (and the garbage collector its Deliveries).
    func finalize(_ n: Resource, _ log: Logger) async throws {
        guard n.finalizers.contains(Self.finalizer) else { return }
        let now = clock.now()
        let inFlight = caches.deliveries(of: n).filter { !$0.deliveryPhase.isTerminal }
        let ctx = actions.context(notification: n, channel: nil, now: now)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for d in inFlight {
                group.addTask {
                    do {
                        _ = try await actions.apply(
                            .canceled(reason: "NotificationDeleted", message: "the notification is being deleted"), to: d.key,
                            context: ctx)
                    } catch StoreError.notFound {}
                }
            }
            try await group.waitForAll()
        }
        if !inFlight.isEmpty {
            recorder.record(.normal("Canceled", "canceled \(inFlight.count) pending deliveries"), about: n)
            log.info("canceled pending deliveries", metadata: ["count": "\(inFlight.count)"])
        }
        _ = try await store.guaranteedUpdate(n.key) { current in
            guard current.uid == n.uid else { return current }
            var next = current
            next.finalizers = current.finalizers.filter { $0 != Self.finalizer }
            return next
        }
    }

    // MARK: sync

    func sync(_ original: Resource, _ log: Logger) async throws {
        var n = original
        if !n.finalizers.contains(Self.finalizer) {
            let result = try await store.guaranteedUpdate(n.key) { current in
                guard current.uid == original.uid, !current.isDeleting, !current.finalizers.contains(Self.finalizer) else {
                    return current
                }
                var next = current
                next.addFinalizers([Self.finalizer])
                return next
            }
            n = result.object
        }

        let now = clock.now()
        let ns = n.namespace
        var channels: [String: Resource] = [:]
        for name in n.spec?["channels"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if let ch = caches.channel(namespace: ns, name: name) { channels[name] = ch }
        }
        let owned = caches.deliveries(of: n)
        let plan = planner.plan(
            NotificationPlanner.Input(
                notification: n, template: caches.template(for: n), channels: channels,
                recipients: recipients(for: n), deliveries: owned, now: now))
        for note in plan.events { recorder.record(note, about: n) }

        var highestWrite: Int64 = 0
        var created: EventNote?
        if !plan.creates.isEmpty {
            let (written, note) = try await create(plan.creates, for: n, channels: channels, now: now, log)
            highestWrite = max(highestWrite, written)
            created = note
        }
        // The deliveries exist whatever fails after: say so, unless the Accepted event already does.
        defer { if let created { recorder.record(created, about: n) } }
        if !plan.cancels.isEmpty {
            let ctx = actions.context(notification: n, channel: nil, now: now)
            for name in plan.cancels {
                let key = ObjectKey(kind: "Delivery", namespace: ns, name: name)
                let (_, written) = try await actions.apply(
                    .canceled(reason: "RemovedFromSpec", message: "the recipient or channel left the notification's spec"),
                    to: key, context: ctx)
                highestWrite = max(highestWrite, written.resourceVersion)
            }
            recorder.record(.normal("Canceled", "canceled \(plan.cancels.count) deliveries whose pair left the spec"), about: n)
        }
        if !plan.redrives.isEmpty {
            // After the creates: a failed delivery is marked redriven only once its replacement exists.
            highestWrite = max(highestWrite, try await answer(plan.redrives, for: n, log))
        }
        // Read our own writes before counting.
        if highestWrite > 0 { await caches.deliveries.waitFor(resourceVersion: highestWrite) }

        created = try await writeStatus(n, plan: plan, now: now, created: created, log)
    }

    /// The Recipients the planner may need: those named in `spec.to`, and the whole namespace only
    /// when a selector is there to match (a namespace can hold many thousands of Recipients).
    func recipients(for n: Resource) -> [Resource] {
        let entries = n.spec?["to"]?.arrayValue ?? []
        if entries.contains(where: { $0["selector"] != nil }) { return caches.recipients.list(namespace: n.namespace) }
        var seen = Set<String>()
        return entries.compactMap { entry in
            guard let name = entry["recipientRef"]?["name"]?.stringValue, seen.insert(name).inserted else { return nil }
            return caches.recipients.get(namespace: n.namespace, name: name)
        }
    }

    /// Creates planned deliveries in one store submission (committed together), then publishes
    /// the jobs of those due now in one batch. Returns the highest resourceVersion written and the
    /// Event saying what was created (for the caller to record); throws the first failure once the
    /// deliveries that were created have been published.
    func create(_ planned: [PlannedDelivery], for n: Resource, channels: [String: Resource], now: Date, _ log: Logger)
        async throws -> (Int64, EventNote?)
    {
        typealias Created = (Resource, DeliveryStateMachine.Transition)
        var objects: [Resource] = []
        var transitions: [DeliveryStateMachine.Transition] = []
        objects.reserveCapacity(planned.count)
        transitions.reserveCapacity(planned.count)
        // One context per channel: the notification and the time are the same for all.
        var contexts: [String: DeliveryStateMachine.Context] = [:]
        for p in planned {
            let channelName = p.spec["channel"]?.stringValue ?? ""
            let ctx: DeliveryStateMachine.Context
            if let known = contexts[channelName] {
                ctx = known
            } else {
                ctx = actions.context(notification: n, channel: channels[channelName], now: now)
                contexts[channelName] = ctx
            }
            // Decide the first step now, so a delivery due at once is created Queued and its job
            // published right after: one write per delivery, not two.
            let t = actions.machine.handle(.tick, status: p.status, context: ctx)
            var planned = p
            planned.status = t.status
            // Its timer (queued timeout, scheduled send) runs before it exists: the ADDED event
            // then finds it scheduled and needs no look of its own. Should the create fail, the
            // timer finds nothing to do.
            for case .wake(let at) in t.actions {
                actions.deliveryQueue.add(ObjectKey(kind: "Delivery", namespace: n.namespace, name: p.name), at: at)
            }
            objects.append(planned.resource(owner: n))
            transitions.append(t)
        }
        var created: [Created] = []
        var failure: (any Error)?
        for (result, t) in zip(await store.createAll(objects, options: WriteOptions(keepStatus: true)), transitions) {
            switch result {
            case .success(let object):
                created.append((object, t))
            case .failure(StoreError.alreadyExists):
                // A stale cache or an earlier reconcile created it; the informer brings it.
                continue
            case .failure(let error):
                if failure == nil { failure = error }
            }
        }
        guard !created.isEmpty else {
            if let failure { throw failure }
            return (0, nil)
        }
        let counts = Dictionary(grouping: created, by: { $0.0.deliveryPhase }).mapValues(\.count)
        let summary = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue.lowercased())" }
        let note = EventNote.normal(
            "DeliveriesCreated",
            "created \(created.count) \(created.count == 1 ? "delivery" : "deliveries") (\(summary.joined(separator: ", ")))")
        log.info("created deliveries", metadata: ["count": "\(created.count)"])

        // Whatever fails from here on, the deliveries exist: the caller records nothing then, so
        // say so before throwing.
        do {
            // Publish everything due now together; failures leave the deliveries Queued, and the
            // queued timeout publishes them again.
            var byTier: [Double?: [DeliveryJob]] = [:]
            for (object, t) in created {
                let channel = channels[object.spec?["channel"]?.stringValue ?? ""]
                for action in t.actions {
                    switch action {
                    case .publish(let attempt, let tier):
                        byTier[tier, default: []].append(
                            try actions.job(for: object, notification: n, channel: channel, attempt: attempt))
                    case .record(let note):
                        recorder.record(note, about: object)
                    case .wake, .deadLetter:
                        break
                    }
                }
            }
            for (tier, jobs) in byTier {
                do {
                    try await actions.batcher.publish(jobs, delaySeconds: tier)
                } catch {
                    // Channels differ per job only in the retry policy, which taking back ignores.
                    await actions.revert(jobs, notification: n, channel: nil, error: error)
                    throw error
                }
            }
            if let failure { throw failure }
        } catch {
            recorder.record(note, about: n)
            throw error
        }
        return (created.map(\.0.resourceVersion).max() ?? 0, note)
    }

    /// Writes each redrive answer on the Delivery that asked (handled, and redriven or refused)
    /// and records who asked in an Event on the Notification and the Delivery. Returns the
    /// highest resourceVersion written.
    func answer(_ decisions: [RedrivePlanner.Decision], for n: Resource, _ log: Logger) async throws -> Int64 {
        var highest: Int64 = 0
        for decision in decisions {
            let step = decision.step
            let key = ObjectKey(kind: "Delivery", namespace: n.namespace, name: step.delivery)
            let result: MutationResult
            do {
                result = try await store.guaranteedUpdate(key) { current in
                    // Answer only the request the plan saw; a newer one gets the next reconcile's answer.
                    guard current.annotations[DeliveryRedrive.requestedAtAnnotation] == step.requestedAt else { return current }
                    var next = current
                    next.annotations[DeliveryRedrive.handledAnnotation] = step.requestedAt
                    switch step.outcome {
                    case .redriven(let replacement):
                        next.labels[DeliveryRedrive.redrivenLabel] = "true"
                        next.annotations[DeliveryRedrive.redrivenToAnnotation] = replacement
                        next.annotations[DeliveryRedrive.refusedAnnotation] = nil
                    case .refused(let why):
                        next.annotations[DeliveryRedrive.refusedAnnotation] = why
                    }
                    return next
                }
            } catch StoreError.notFound {
                continue
            }
            highest = max(highest, result.object.resourceVersion)
            guard result.changed else { continue }
            recorder.record(step.note, about: n)
            recorder.record(step.note, about: result.object)
            log.info(
                "redrive answered",
                metadata: ["delivery": .string(step.delivery), "by": .string(step.requestedBy), "event": .string(step.note.reason)])
        }
        return highest
    }

    /// Writes the aggregate status when it differs from the stored one, and records an Event
    /// when a condition flips. `created` (deliveries this reconcile created) joins the Accepted
    /// event when acceptance is what this write says, so a new notification costs one Event, not
    /// two; returned when it still needs an Event of its own.
    func writeStatus(_ n: Resource, plan: NotificationPlan, now: Date, created: EventNote? = nil, _ log: Logger)
        async throws -> EventNote?
    {
        // A failure a redrive replaced no longer counts: its replacement does.
        let current = RedrivePlanner.withoutReplaced(
            caches.deliveries(of: n).filter { Int($0.spec?["round"]?.intValue ?? 0) == plan.round }
        ).map { DeliveryStatus(phase: $0.deliveryPhase) }  // The aggregate counts phases alone.
        let aggregator = self.aggregator
        let uid = n.uid
        let suspended = n.spec?["suspend"]?.boolValue == true
        // Most reconciles (a delivery moved from Queued to Queued, a resync) change nothing:
        // decide on the cached copy first and skip the store round trip.
        let expected = aggregator.status(
            StatusAggregator.Input(
                generation: n.generation, accepted: plan.accepted, suspended: suspended, round: plan.round,
                deliveries: current, current: n.status, now: now))
        if expected == n.status { return created }
        // Events tell what this write changed, so they compare with the status it replaced, not
        // with the cached copy: that may not show a write of an earlier reconcile yet, and its
        // conditions would be told again.
        let replaced = TransformSlot<JSON?>()
        let result = try await store.guaranteedUpdate(n.key, target: .status) { stored in
            guard stored.uid == uid else { return stored }
            replaced.set(stored.status)
            var next = stored
            next.status = aggregator.status(
                StatusAggregator.Input(
                    generation: stored.generation, accepted: plan.accepted, suspended: suspended, round: plan.round,
                    deliveries: current, current: stored.status, now: now))
            return next
        }
        guard result.changed else { return created }
        let after = result.object
        let before = replaced.value ?? nil
        var unsaid = created
        for type in ["Accepted", "Delivered"] {
            let old = before?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
            guard let new = after.condition(type) else { continue }
            let oldState = old.map { "\($0["status"]?.stringValue ?? "")/\($0["reason"]?.stringValue ?? "")" }
            let newState = "\(new["status"]?.stringValue ?? "")/\(new["reason"]?.stringValue ?? "")"
            guard oldState != newState, var note = Self.note(forCondition: type, new) else { continue }
            if let creation = unsaid, type == "Accepted", note.type == .normal {
                note.message += "; " + creation.message
                unsaid = nil
            }
            recorder.record(note, about: after)
        }
        log.debug("status written", metadata: ["phase": .string(after.status?["phase"]?.stringValue ?? "")])
        return unsaid
    }

    static func note(forCondition type: String, _ c: JSON) -> EventNote? {
        let status = c["status"]?.stringValue ?? ""
        let reason = c["reason"]?.stringValue ?? ""
        let message = c["message"]?.stringValue ?? ""
        switch (type, status) {
        case ("Accepted", "False"): return .warning(reason, message)
        case ("Accepted", "True"): return .normal("Accepted", message)
        case ("Delivered", "True"): return .normal("Delivered", message)
        case ("Delivered", "False") where ["Failed", "PartiallyFailed", "Expired"].contains(reason):
            return .warning(reason, message)
        default: return nil
        }
    }
}
