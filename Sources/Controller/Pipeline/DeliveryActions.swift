import Foundation
import HeraldAPI
import Logging
import Store

/// Applies `DeliveryStateMachine` decisions: the decision runs inside the store's transaction
/// (on the latest status, so concurrent writers never conflict), then its actions are carried
/// out: jobs published, dead letters sent, wake-ups scheduled, events recorded.
struct DeliveryActions: Sendable {
    let store: any Store
    let caches: Caches
    let batcher: PublishBatcher
    let publisher: any JobPublisher
    let recorder: EventRecorder
    let deliveryQueue: WorkQueue<ObjectKey>
    let machine = DeliveryStateMachine()
    let settings: Settings
    let logger: Logger

    struct Settings: Sendable {
        var clock: any ControllerClock
        var random: any RandomSource
        var queuedTimeout: Double
        var tiers: DelayTierPlanner
        var defaultPolicy: RetryPolicy
    }

    /// The state machine's context for a delivery of `notification` through `channel`.
    func context(notification: Resource, channel: Resource?, now: Date) -> DeliveryStateMachine.Context {
        let nspec = notification.spec ?? .emptyObject
        return DeliveryStateMachine.Context(
            policy: RetryPolicy.resolve(
                channelRetry: channel?.spec?["retry"], notificationRetry: nspec["retry"], defaults: settings.defaultPolicy),
            deadline: nspec["deliverBy"]?.stringValue.flatMap(Timestamp.parse),
            suspended: nspec["suspend"]?.boolValue == true,
            now: now, queuedTimeout: settings.queuedTimeout, tiers: settings.tiers, random: settings.random)
    }

    /// Runs `event` against the stored status of `key` and writes the outcome when it changed.
    /// Returns the transition and the object as written (or as found, when nothing changed).
    func apply(
        _ event: DeliveryStateMachine.Event, to key: ObjectKey, context: DeliveryStateMachine.Context
    ) async throws -> (DeliveryStateMachine.Transition, Resource) {
        let slot = DecisionSlot()
        let result = try await store.guaranteedUpdate(key, target: .status, decide(event, context: context, into: slot))
        return try slot.outcome(result, key: key)
    }

    /// `apply` for many deliveries in one store submission; outcomes in the order given.
    func applyAll(
        _ items: [(event: DeliveryStateMachine.Event, key: ObjectKey, context: DeliveryStateMachine.Context)]
    ) async -> [Result<(DeliveryStateMachine.Transition, Resource), any Error>] {
        let slots = items.map { _ in DecisionSlot() }
        let results = await store.guaranteedUpdateAll(
            zip(items, slots).map { item, slot in (key: item.key, transform: decide(item.event, context: item.context, into: slot)) },
            target: .status)
        return results.indices.map { i in Result { try slots[i].outcome(try results[i].get(), key: items[i].key) } }
    }

    /// The decision run inside the store's transaction, on the latest status.
    private func decide(
        _ event: DeliveryStateMachine.Event, context: DeliveryStateMachine.Context, into slot: DecisionSlot
    ) -> @Sendable (Resource) throws -> Resource {
        let machine = self.machine
        return { current in
            let t = machine.handle(event, status: current.deliveryStatus, context: context)
            slot.set(t)
            guard t.status != current.deliveryStatus else { return current }
            var next = current
            next.status = t.status.json
            return next
        }
    }

    /// Carries out a transition's actions for `delivery` (as written).
    func perform(
        _ transition: DeliveryStateMachine.Transition, delivery: Resource, notification: Resource, channel: Resource?,
        logger: @autoclosure () -> Logger
    ) async throws {
        var publishes: [Double?: [DeliveryJob]] = [:]
        var letters: [DeadLetter] = []
        for action in transition.actions {
            switch action {
            case .publish(let attempt, let tier):
                let job = try job(for: delivery, notification: notification, channel: channel, attempt: attempt)
                publishes[tier, default: []].append(job)
            case .deadLetter(let reason, let message, let attempts):
                if let job = try? job(for: delivery, notification: notification, channel: channel, attempt: max(1, attempts)) {
                    letters.append(DeadLetter(job: job, reason: reason, message: message, attempts: attempts))
                }
            case .wake(let at):
                deliveryQueue.add(delivery.key, at: at)
            case .record(let note):
                recorder.record(note, about: delivery)
            }
        }
        for (tier, jobs) in publishes {
            do {
                try await batcher.publish(jobs, delaySeconds: tier)
            } catch {
                await revert(jobs, notification: notification, channel: channel, error: error)
                throw error
            }
            logger().debug(
                "published", metadata: ["delivery": .string(delivery.name), "attempt": "\(jobs.map(\.attempt))", "tier": "\(tier ?? 0)"])
        }
        if !letters.isEmpty {
            try await publisher.deadLetter(letters)
            for letter in letters { ControllerMetrics.live.deadLettered(letter.reason) }
            logger().notice(
                "dead-lettered", metadata: ["delivery": .string(delivery.name), "reason": .string(letters[0].reason)])
        }
    }

    /// Takes back attempts whose jobs the broker did not confirm, so they are published again soon.
    func revert(_ jobs: [DeliveryJob], notification: Resource, channel: Resource?, error: any Error) async {
        let ctx = context(notification: notification, channel: channel, now: settings.clock.now())
        for job in jobs {
            let key = ObjectKey(kind: "Delivery", namespace: job.namespace, name: job.delivery)
            do {
                let (t, _) = try await apply(.publishFailed(attempt: job.attempt, error: "\(error)"), to: key, context: ctx)
                if let wake = t.wakeAt { deliveryQueue.add(key, at: wake) }
            } catch {
                // The queued timeout publishes it again.
                logger.warning(
                    "could not take back an unpublished attempt", metadata: ["delivery": .string(job.delivery), "error": "\(error)"])
            }
        }
    }

    func job(for delivery: Resource, notification: Resource, channel: Resource?, attempt: Int) throws -> DeliveryJob {
        let recipientName = delivery.spec?["recipient"]?.stringValue ?? ""
        let recipient = caches.recipients.get(namespace: delivery.namespace, name: recipientName)
        return try JobBuilder.build(
            delivery: delivery, notification: notification, channel: channel, template: caches.template(for: notification),
            recipient: recipient, attempt: attempt)
    }
}

/// Where a decision made inside the store's transaction is kept for the caller.
typealias DecisionSlot = TransformSlot<DeliveryStateMachine.Transition>

extension TransformSlot where Value == DeliveryStateMachine.Transition {
    func outcome(_ result: MutationResult, key: ObjectKey) throws -> (DeliveryStateMachine.Transition, Resource) {
        guard let t = value else {
            throw StoreError.unavailable("the store did not run the status decision for \(key)")
        }
        return (t, result.object)
    }
}

extension DeliveryStateMachine.Transition {
    /// Whether carrying it out waits for the broker (a publish or a dead letter); the rest of
    /// `perform` only records events and schedules wake-ups.
    var awaitsBroker: Bool {
        actions.contains {
            switch $0 {
            case .publish, .deadLetter: return true
            case .wake, .record: return false
            }
        }
    }
}
