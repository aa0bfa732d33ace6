import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Herald's controller (architecture.md): the only component that decides what to send and
/// when. While it holds the leader lease it keeps informer caches of Notifications,
/// Deliveries, Templates, Channels and Recipients, reconciles Notifications into Deliveries,
/// moves Deliveries along in time, publishes jobs and applies the workers' results. A replica
/// that is not the leader waits and takes over when the leader's lease expires.
public final class Controller: Service, Sendable {
    public struct Configuration: Sendable {
        /// Concurrent Notification reconciles.
        public var notificationWorkers: Int
        /// Concurrent Delivery steps (publishes of due sends, retries, expiries).
        public var deliveryWorkers: Int
        /// Results in flight from the broker, and per batch.
        public var resultPrefetch: Int
        public var resultBatch: Int
        /// A job published with no result after this long is published again.
        public var queuedTimeout: Double
        /// Every cached object is handed to the reconcilers again this often.
        public var resyncPeriod: Double
        public var leaderElection: LeaderElector.Configuration
        public var tiers: DelayTierPlanner
        /// The retry policy when neither Channel nor Notification sets one.
        public var defaultRetryPolicy: RetryPolicy
        /// False for a broker that keeps messages in memory (the embedded one): jobs and results
        /// in flight when the process stopped are gone, so a new term publishes them again at
        /// once instead of after `queuedTimeout`.
        public var jobsSurviveRestart: Bool

        public init(
            notificationWorkers: Int = 64, deliveryWorkers: Int = 128, resultPrefetch: Int = 1000, resultBatch: Int = 500,
            queuedTimeout: Double = 300, resyncPeriod: Double = 600,
            leaderElection: LeaderElector.Configuration = LeaderElector.Configuration(),
            tiers: DelayTierPlanner = DelayTierPlanner(), defaultRetryPolicy: RetryPolicy = .default,
            jobsSurviveRestart: Bool = true
        ) {
            self.jobsSurviveRestart = jobsSurviveRestart
            self.notificationWorkers = notificationWorkers
            self.deliveryWorkers = deliveryWorkers
            self.resultPrefetch = resultPrefetch
            self.resultBatch = resultBatch
            self.queuedTimeout = queuedTimeout
            self.resyncPeriod = resyncPeriod
            self.leaderElection = leaderElection
            self.tiers = tiers
            self.defaultRetryPolicy = defaultRetryPolicy
        }
    }

    let store: any Store
    let publisher: any JobPublisher
    let results: any ResultSource
    let configuration: Configuration
    let checker: any TemplateChecker
    let clock: any ControllerClock
    let random: any RandomSource
    let logger: Logger
    private let leading = Atomic<Bool>(false)

    /// Whether this replica holds the leader lease and runs the reconcilers now (false for a
    /// standby waiting to take over).
    public var isLeading: Bool { leading.load(ordering: .relaxed) }

    public init(
        store: any Store, publisher: any JobPublisher, results: any ResultSource, configuration: Configuration = Configuration(),
        templateChecker: any TemplateChecker = DeclaredVariablesChecker(), clock: any ControllerClock = SystemClock(),
        random: any RandomSource = SystemRandom(), logger: Logger
    ) {
        self.store = store
        self.publisher = publisher
        self.results = results
        self.configuration = configuration
        self.checker = templateChecker
        self.clock = clock
        self.random = random
        var log = logger
        log[metadataKey: "component"] = "controller"
        self.logger = log
    }

    public func run() async throws {
        let elector = LeaderElector(store: store, configuration: configuration.leaderElection, clock: clock, logger: logger)
        try await cancelWhenGracefulShutdown {
            try await elector.run {
                self.leading.store(true, ordering: .relaxed)
                defer { self.leading.store(false, ordering: .relaxed) }
                try await self.lead()
            }
        }
        logger.info("controller stopped")
    }

    /// Everything the leader runs; cancelled when leadership is lost or on shutdown. Every term
    /// starts from fresh caches and queues: nothing from an earlier term is trusted.
    func lead() async throws {
        let caches = Caches(store: store, resyncPeriod: configuration.resyncPeriod, logger: logger)
        let recorder = EventRecorder(store: store, instance: configuration.leaderElection.identity, clock: clock, logger: logger)
        let notificationQueue = WorkQueue<ObjectKey>(name: "notifications", clock: clock)
        let deliveryQueue = WorkQueue<ObjectKey>(name: "deliveries", clock: clock)
        let templateQueue = WorkQueue<ObjectKey>(name: "templates", clock: clock)
        let recipientQueue = WorkQueue<ObjectKey>(name: "recipients", clock: clock)
        let actions = DeliveryActions(
            store: store, caches: caches, batcher: PublishBatcher(publisher: publisher), publisher: publisher,
            recorder: recorder, deliveryQueue: deliveryQueue,
            settings: .init(
                clock: clock, random: random, queuedTimeout: configuration.queuedTimeout, tiers: configuration.tiers,
                defaultPolicy: configuration.defaultRetryPolicy),
            logger: logger)
        let notifications = NotificationReconciler(
            store: store, caches: caches, actions: actions, planner: NotificationPlanner(checker: MemoizedTemplateChecker(checker)),
            recorder: recorder,
            queue: notificationQueue, logger: logger)
        let deliveries = DeliveryReconciler(caches: caches, actions: actions, logger: logger)
        let templates = TemplateReconciler(store: store, caches: caches, checker: checker, clock: clock, logger: logger)
        let recipients = RecipientReconciler(store: store, caches: caches, clock: clock, logger: logger)
        let resultProcessor = ResultProcessor(
            store: store, caches: caches, actions: actions, source: results, prefetch: configuration.resultPrefetch,
            maxBatch: configuration.resultBatch, logger: logger)

        Self.wire(caches, notificationQueue: notificationQueue, deliveryQueue: deliveryQueue)
        Self.wire(caches.templates, templateQueue: templateQueue)
        Self.wire(caches.recipients, recipientQueue: recipientQueue)

        defer {
            notificationQueue.shutDown()
            deliveryQueue.shutDown()
            templateQueue.shutDown()
            recipientQueue.shutDown()
            recorder.finish()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await SharedInformers(store: self.store, informers: caches.all, logger: self.logger).run() }
            group.addTask { try await recorder.run() }
            group.addTask { await notificationQueue.run() }
            group.addTask { await deliveryQueue.run() }
            group.addTask { await templateQueue.run() }
            group.addTask { await recipientQueue.run() }
            group.addTask {
                try await caches.waitUntilSynced()
                if !self.configuration.jobsSurviveRestart {
                    await Self.takeBackLostJobs(caches, actions, self.logger)
                }
                self.logger.info(
                    "caches synced; reconciling",
                    metadata: ["notifications": "\(caches.notifications.count)", "deliveries": "\(caches.deliveries.count)"])
                await withTaskGroup(of: Void.self) { workers in
                    workers.addTask {
                        await notificationQueue.process(workers: self.configuration.notificationWorkers) { key in
                            let ok = await notifications.reconcile(key)
                            ControllerMetrics.live.reconciles("Notification", ok)
                            return ok
                        }
                    }
                    workers.addTask {
                        await deliveryQueue.process(workers: self.configuration.deliveryWorkers) { key in
                            let ok = await deliveries.reconcile(key)
                            ControllerMetrics.live.reconciles("Delivery", ok)
                            return ok
                        }
                    }
                    workers.addTask {
                        await templateQueue.process(workers: 1) { key in
                            let ok = await templates.reconcile(key)
                            ControllerMetrics.live.reconciles("Template", ok)
                            return ok
                        }
                    }
                    workers.addTask {
                        await recipientQueue.process(workers: 1) { key in
                            let ok = await recipients.reconcile(key)
                            ControllerMetrics.live.reconciles("Recipient", ok)
                            return ok
                        }
                    }
                    workers.addTask { await resultProcessor.run() }
                }
            }
            // Any part ending means leadership ended or shutdown began: stop the rest.
            try await group.next()
            group.cancelAll()
        }
    }

    /// Takes back every attempt recorded as in the broker: with an in-memory broker, a job or
    /// result from before this process started is gone. The deliveries' next tick publishes them
    /// again (a job that did survive yields a result that is still current, and the copy's
    /// result is then ignored).
    static func takeBackLostJobs(_ caches: Caches, _ actions: DeliveryActions, _ logger: Logger) async {
        let dispatched = caches.deliveries.list().filter {
            let s = $0.deliveryStatus
            return s.isDispatched && !s.phase.isTerminal
        }
        guard !dispatched.isEmpty else { return }
        let now = actions.settings.clock.now()
        await withTaskGroup(of: Void.self) { group in
            for d in dispatched {
                group.addTask {
                    guard let n = caches.owner(of: d) else { return }
                    let ctx = actions.context(notification: n, channel: nil, now: now)
                    let event = DeliveryStateMachine.Event.publishFailed(
                        attempt: d.deliveryStatus.attempts, error: "the in-memory broker lost it when the process stopped")
                    _ = try? await actions.apply(event, to: d.key, context: ctx)
                }
            }
        }
        logger.notice("publishing again jobs lost with the in-memory broker", metadata: ["deliveries": "\(dispatched.count)"])
    }

    /// A Template is reviewed when it appears, when its spec changes, when its status loses what
    /// the controller wrote, and on resyncs (a decision on the cached copy, usually no write).
    static func wire(_ templates: Informer, templateQueue: WorkQueue<ObjectKey>) {
        templates.addHandler { change in
            switch change {
            case .added(let t), .resync(let t):
                templateQueue.add(t.key)
            case .updated(let old, let new):
                if old.generation != new.generation || new.condition(TemplateValidity.conditionType) == nil
                    || new.status?["digest"] != old.status?["digest"]
                {
                    templateQueue.add(new.key)
                }
            case .deleted:
                break
            }
        }
    }

    /// A Recipient is looked at when it appears and when its spec changes (a stale token removed
    /// or refreshed); only those with stale addresses lead to a write.
    static func wire(_ recipients: Informer, recipientQueue: WorkQueue<ObjectKey>) {
        recipients.addHandler { change in
            switch change {
            case .added(let r):
                if r.status?["staleAddresses"] != nil { recipientQueue.add(r.key) }
            case .updated(let old, let new):
                if old.generation != new.generation { recipientQueue.add(new.key) }
            case .resync, .deleted:
                break
            }
        }
    }

    /// What makes which key go into which queue.
    static func wire(_ caches: Caches, notificationQueue: WorkQueue<ObjectKey>, deliveryQueue: WorkQueue<ObjectKey>) {
        caches.notifications.addHandler { change in
            if case .updated(let old, let new) = change, !NotificationChange.needsReconcile(old: old, new: new) { return }
            notificationQueue.add(change.object.key)
            // A spec change (suspend lifted, deliverBy moved, retry policy) concerns its deliveries too.
            if case .updated(let old, let new) = change, old.generation != new.generation || old.isDeleting != new.isDeleting {
                for d in caches.deliveries(of: new) where !d.deliveryPhase.isTerminal {
                    deliveryQueue.add(d.key)
                }
            }
        }
        caches.deliveries.addHandler { change in
            let d = change.object
            // The owner re-aggregates its status on every change of one of its deliveries.
            if let ref = d.controllerReference(kind: "Notification") {
                notificationQueue.add(ObjectKey(kind: "Notification", namespace: d.namespace, name: ref.name))
            }
            switch change {
            case .added:
                // One this controller just created already waits for its timer (see `create`).
                if !d.deliveryPhase.isTerminal && !deliveryQueue.isScheduled(d.key) { deliveryQueue.add(d.key) }
            case .resync:
                if !d.deliveryPhase.isTerminal { deliveryQueue.add(d.key) }
            case .updated(let old, let new):
                // Only a change of phase or schedule moves the delivery's timers.
                // Compared as stored: parsing both statuses' timestamps on every update costs more.
                let o = old.status
                let n = new.status
                if !new.deliveryPhase.isTerminal
                    && (o?["phase"] != n?["phase"] || o?["nextAttemptTime"] != n?["nextAttemptTime"]
                        || o?["queuedTime"] != n?["queuedTime"])
                {
                    deliveryQueue.add(d.key)
                }
            case .deleted:
                break
            }
        }
        for informer in [caches.templates, caches.channels, caches.recipients] {
            informer.addHandler { change in
                if case .resync = change { return }
                for n in caches.notificationsUsing(change.object) { notificationQueue.add(n.key) }
            }
        }
    }
}
