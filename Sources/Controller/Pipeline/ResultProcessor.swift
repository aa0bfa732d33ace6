import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Store

/// Consumes workers' results in batches of messages, each carrying one result or a pack of them
/// (`ResultMessage`): each result is applied to its Delivery through the state machine (the
/// whole batch's status writes go to the store as one submission and commit together),
/// follow-ups are carried out (a retry published into its delay tier, a dead letter), and the
/// batch is acknowledged with one ack once all of it is durable. A failure leaves the batch
/// unacknowledged: the subscription restarts and the broker delivers it again, and results
/// already applied are then ignored as not current.
struct ResultProcessor: Sendable {
    let store: any Store
    let caches: Caches
    let actions: DeliveryActions
    let source: any ResultSource
    let prefetch: Int
    let maxBatch: Int
    let logger: Logger

    func run() async {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let subscription = try await source.subscribe(prefetch: prefetch)
                failures = 0
                try await consume(subscription)
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                logger.warning("result consumer failed; resubscribing", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
            try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(failures, 6)))))
        }
    }

    private func consume(_ subscription: any ResultSubscription) async throws {
        let buffer = BatchBuffer<ReceivedResult>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { buffer.finish() }
                while let r = try await subscription.next() { buffer.append(r) }
            }
            group.addTask {
                while let batch = await buffer.next(max: maxBatch) {
                    try await process(batch, subscription)
                }
            }
            do {
                try await group.next()
                // The reader ended (subscription closed) or the processor drained: stop both.
                group.cancelAll()
            } catch {
                group.cancelAll()
                await subscription.cancel()
                throw error
            }
        }
        await subscription.cancel()
    }

    func process(_ batch: [ReceivedResult], _ subscription: any ResultSubscription) async throws {
        guard let last = batch.last else { return }
        var decoded: [(DeliveryResult, Bool)] = []
        for r in batch {
            guard let results = try await readable(r, subscription) else { continue }
            decoded += results.map { ($0, r.redelivered) }
        }
        let applied = try await apply(decoded)
        await updateCircuitConditions(applied)
        try await subscription.acknowledge(through: last)
    }

    /// A result ready to apply: its delivery and notification as cached, and the decision context.
    struct Prepared {
        var result: DeliveryResult
        var redelivered: Bool
        var delivery: Resource
        var notification: Resource
        var channel: Resource?
        var channelName: String
        var context: DeliveryStateMachine.Context
    }

    enum Lookup {
        case ready(Prepared)
        /// The delivery is not in the cache (created a moment ago?).
        case notCached
        /// Its delivery or notification is gone: nothing to apply.
        case gone
    }

    /// A result's attempt, as its log lines name it.
    static func correlationID(_ result: DeliveryResult) -> Logger.MetadataValue {
        .string("\(result.deliveryUID).\(result.attempt)")
    }

    /// The decision context of the results of one batch that share a notification (as cached)
    /// and a channel: a notification's deliveries finish together.
    struct ContextKey: Hashable {
        var notification: String
        var resourceVersion: Int64
        var channel: String
        var channelVersion: Int64
    }

    func prepare(
        _ result: DeliveryResult, redelivered: Bool, contexts: inout [ContextKey: DeliveryStateMachine.Context], now: Date
    ) -> Lookup {
        guard let d = caches.delivery(uid: result.deliveryUID) else { return .notCached }
        guard let n = caches.owner(of: d) else {
            logger.debug(
                "result for a delivery whose notification is gone; dropped",
                metadata: ["correlationID": Self.correlationID(result)])
            return .gone
        }
        let channelName = d.spec?["channel"]?.stringValue ?? ""
        let channel = caches.channel(namespace: d.namespace, name: channelName)
        let key = ContextKey(
            notification: n.uid, resourceVersion: n.resourceVersion, channel: channelName, channelVersion: channel?.resourceVersion ?? 0)
        let context: DeliveryStateMachine.Context
        if let known = contexts[key] {
            context = known
        } else {
            context = actions.context(notification: n, channel: channel, now: now)
            contexts[key] = context
        }
        return .ready(
            Prepared(
                result: result, redelivered: redelivered, delivery: d, notification: n, channel: channel, channelName: channelName,
                context: context))
    }

    /// The results whose delivery is cached, ready to apply, and those whose delivery is not
    /// (yet); results for deliveries known to be gone are left out.
    private func prepareAll(_ results: [(DeliveryResult, Bool)]) -> (ready: [Prepared], notCached: [(DeliveryResult, Bool)]) {
        var ready: [Prepared] = []
        var notCached: [(DeliveryResult, Bool)] = []
        var contexts: [ContextKey: DeliveryStateMachine.Context] = [:]
        let now = actions.settings.clock.now()
        for (result, redelivered) in results {
            switch prepare(result, redelivered: redelivered, contexts: &contexts, now: now) {
            case .ready(let p): ready.append(p)
            case .notCached: notCached.append((result, redelivered))
            case .gone: break
            }
        }
        return (ready, notCached)
    }

    /// Applies a batch's results through one store submission, then carries out what each
    /// transition asks (publishes concurrently). Returns the Channels of the results that were
    /// current. Throws the first store failure, after the rest are applied, so the batch is
    /// not acknowledged and comes again (its applied results are then ignored as not current).
    func apply(_ decoded: [(DeliveryResult, Bool)]) async throws -> [(channel: ObjectKey, result: DeliveryResult)] {
        let prepared = prepareAll(decoded)
        var ready = prepared.ready
        if !prepared.notCached.isEmpty {
            // Created a moment ago and not in the cache yet? Catch up with the store once.
            let rv = try await store.currentResourceVersion()
            await caches.deliveries.waitFor(resourceVersion: rv, timeout: 2)
            let (late, gone) = prepareAll(prepared.notCached)
            ready += late
            for (result, _) in gone {
                logger.debug(
                    "result for a delivery that no longer exists; dropped", metadata: ["correlationID": Self.correlationID(result)])
            }
        }
        let outcomes = await actions.applyAll(
            ready.map { (event: .result(DeliveryStateMachine.Report($0.result)), key: $0.delivery.key, context: $0.context) })
        var applied: [(channel: ObjectKey, result: DeliveryResult)] = []
        var failure: (any Error)?
        try await withThrowingTaskGroup(of: Void.self) { followUps in
            for (p, outcome) in zip(ready, outcomes) {
                let t: DeliveryStateMachine.Transition
                let written: Resource
                switch outcome {
                case .success(let pair): (t, written) = pair
                case .failure(StoreError.notFound):
                    logger.debug(
                        "result for a delivery deleted meanwhile; dropped",
                        metadata: ["correlationID": Self.correlationID(p.result)])
                    continue
                case .failure(let error):
                    if failure == nil { failure = error }
                    continue
                }
                ControllerMetrics.live.results(p.result.outcome.rawValue, t.ignored == nil)
                // The result's log metadata (a dictionary and a string) is made only for a line
                // that is written: most results write none.
                let log = { @Sendable in
                    var log = logger
                    log[metadataKey: "correlationID"] = Self.correlationID(p.result)
                    log[metadataKey: "delivery"] = .string("\(p.delivery.namespace)/\(p.delivery.name)")
                    return log
                }
                if let why = t.ignored {
                    if logger.logLevel <= .debug {
                        log().debug("result ignored", metadata: ["why": .string(why), "redelivered": "\(p.redelivered)"])
                    }
                    continue
                }
                if logger.logLevel <= .debug {
                    log().debug(
                        "result applied",
                        metadata: ["outcome": .string(p.result.outcome.rawValue), "phase": .string(t.status.phase.rawValue)])
                }
                applied.append((ObjectKey(kind: "Channel", namespace: p.delivery.namespace, name: p.channelName), p.result))
                let followUp = { @Sendable in
                    if let stale = p.result.staleAddress {
                        await markStale(
                            stale, recipient: p.delivery.spec?["recipient"]?.stringValue, namespace: p.delivery.namespace, log())
                    }
                    do {
                        try await actions.perform(t, delivery: written, notification: p.notification, channel: p.channel, logger: log())
                    } catch {
                        // The status is recorded; a failed retry publish was taken back and is
                        // published again by the delivery's next tick, so the result itself is done.
                        log().warning("follow-up of a result failed", metadata: ["error": "\(error)"])
                    }
                }
                // Most follow-ups (a delivery done) only record and schedule: no need for a task.
                if p.result.staleAddress == nil && !t.awaitsBroker {
                    await followUp()
                } else {
                    followUps.addTask(operation: followUp)
                }
            }
            try await followUps.waitForAll()
        }
        if let failure { throw failure }
        return applied
    }

    /// The results a message carries. A message that cannot be read at all, or whose results all
    /// fail to decode, is rejected (dead-lettered to `herald.failed`, where it can be inspected);
    /// a bad result in a pack is logged and dropped so the others are still applied (its
    /// delivery then waits for its attempt's deadline like one whose worker died).
    func readable(_ message: ReceivedResult, _ subscription: any ResultSubscription) async throws -> [DeliveryResult]? {
        let elements: [Result<DeliveryResult, JobDecodingError>]
        do {
            elements = try ResultMessage.decode(message.body)
        } catch {
            logger.error("unreadable result dead-lettered", metadata: ["error": "\(error)"])
            try await subscription.reject(message)
            return nil
        }
        var results: [DeliveryResult] = []
        results.reserveCapacity(elements.count)
        var failures: [JobDecodingError] = []
        for element in elements {
            switch element {
            case .success(let result): results.append(result)
            case .failure(let error): failures.append(error)
            }
        }
        if !failures.isEmpty && results.isEmpty {
            logger.error(
                "result message with no readable result dead-lettered",
                metadata: ["results": "\(elements.count)", "error": "\(failures[0])"])
            try await subscription.reject(message)
            return nil
        }
        for error in failures {
            logger.error(
                "unreadable result in a packed message dropped; the others are applied",
                metadata: ["results": "\(elements.count)", "error": "\(error)"])
        }
        return results
    }

    /// One `CircuitOpen` decision per Channel for the whole batch, written only where the
    /// breaker moved. A failed write is logged, not retried: the next result that shows the same
    /// state against the unchanged condition writes it again.
    func updateCircuitConditions(_ applied: [(channel: ObjectKey, result: DeliveryResult)]) async {
        let observations = CircuitCondition.observations(applied)
        var changes: [(ObjectKey, CircuitCondition.Observation)] = []
        for (key, observation) in observations {
            guard let channel = caches.channels.get(key) else { continue }
            if CircuitCondition.change(current: channel.condition(CircuitCondition.conditionType), observation: observation) != nil {
                changes.append((key, observation))
            }
        }
        guard !changes.isEmpty else { return }
        let now = actions.settings.clock.now()
        await withTaskGroup(of: Void.self) { group in
            for (key, observation) in changes {
                group.addTask {
                    do {
                        _ = try await store.guaranteedUpdate(key, target: .status) { current in
                            guard
                                let condition = CircuitCondition.change(
                                    current: current.condition(CircuitCondition.conditionType), observation: observation)
                            else { return current }
                            var next = current
                            let merged = Conditions.merge(
                                existing: current.status?["conditions"]?.arrayValue ?? [], desired: [condition],
                                generation: current.generation, now: now)
                            next.json.set(path: ["status", "conditions"], to: .array(merged))
                            return next
                        }
                        logger.notice(
                            "channel circuit breaker changed",
                            metadata: ["channel": .string("\(key.namespace)/\(key.name)"), "circuit": .string(observation.state.rawValue)])
                    } catch {
                        logger.notice("could not write a channel's CircuitOpen condition", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Lists an address a provider reported gone on the Recipient (`status.staleAddresses`) and
    /// says so in its `StaleAddresses` condition.
    func markStale(_ stale: StaleAddress, recipient: String?, namespace: String, _ log: Logger) async {
        guard let recipient, caches.recipients.get(namespace: namespace, name: recipient) != nil else { return }
        let key = ObjectKey(kind: "Recipient", namespace: namespace, name: recipient)
        let now = actions.settings.clock.now()
        do {
            _ = try await store.guaranteedUpdate(key, target: .status) { current in
                var list = current.status?["staleAddresses"]?.arrayValue ?? []
                let known = list.contains(.string(stale.value))
                if !known { list.append(.string(stale.value)) }
                let condition = StaleAddressCondition.condition(
                    stale: list.compactMap(\.stringValue), spec: current.spec ?? .emptyObject)
                let conditions = Conditions.merge(
                    existing: current.status?["conditions"]?.arrayValue ?? [], desired: [condition],
                    generation: current.generation, now: now)
                // Also fills in the condition for addresses listed before it existed.
                guard !known || current.status?["conditions"]?.arrayValue != conditions else { return current }
                var next = current
                next.json.set(path: ["status", "staleAddresses"], to: .array(list))
                next.json.set(path: ["status", "conditions"], to: .array(conditions))
                return next
            }
        } catch {
            log.notice("could not mark a stale address", metadata: ["error": "\(error)"])
        }
    }
}
