import Foundation
import HeraldAPI
import Logging
import ServiceLifecycle
import Store

/// Consumes workers' results in batches of messages, each carrying one result or a pack of them
/// (`ResultMessage`): each result is applied to its Delivery through the state machine
/// (concurrently, at most `maxBatch` at a time; the store commits their writes together),
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
        let applied = try await withThrowingTaskGroup(of: (ObjectKey, DeliveryResult)?.self) { group in
            var applied: [(channel: ObjectKey, result: DeliveryResult)] = []
            // A batch of packed messages can hold many results: at most maxBatch apply at once.
            for (i, (result, redelivered)) in decoded.enumerated() {
                if i >= maxBatch, case let pair?? = try await group.next() { applied.append(pair) }
                group.addTask { try await apply(result, redelivered: redelivered).map { ($0, result) } }
            }
            for try await pair in group {
                if let pair { applied.append(pair) }
            }
            return applied
        }
        await updateCircuitConditions(applied)
        try await subscription.acknowledge(through: last)
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

    /// Applies one result; returns the Channel it went through when it was current.
    func apply(_ result: DeliveryResult, redelivered: Bool) async throws -> ObjectKey? {
        var log = logger
        log[metadataKey: "correlationID"] = .string("\(result.deliveryUID).\(result.attempt)")
        var delivery = caches.delivery(uid: result.deliveryUID)
        if delivery == nil {
            // Created a moment ago and not in the cache yet? Catch up with the store once.
            let rv = try await store.currentResourceVersion()
            await caches.deliveries.waitFor(resourceVersion: rv, timeout: 2)
            delivery = caches.delivery(uid: result.deliveryUID)
        }
        guard let d = delivery else {
            log.debug("result for a delivery that no longer exists; dropped")
            return nil
        }
        log[metadataKey: "delivery"] = .string("\(d.namespace)/\(d.name)")
        guard let n = caches.owner(of: d) else {
            log.debug("result for a delivery whose notification is gone; dropped")
            return nil
        }
        let channelName = d.spec?["channel"]?.stringValue ?? ""
        let channel = caches.channel(namespace: d.namespace, name: channelName)
        let ctx = actions.context(notification: n, channel: channel, now: actions.settings.clock.now())
        let report = DeliveryStateMachine.Report(result)
        let (t, written) = try await actions.apply(.result(report), to: d.key, context: ctx)
        ControllerMetrics.live.results(result.outcome.rawValue, t.ignored == nil)
        if let why = t.ignored {
            log.debug("result ignored", metadata: ["why": .string(why), "redelivered": "\(redelivered)"])
            return nil
        }
        log.debug(
            "result applied",
            metadata: ["outcome": .string(result.outcome.rawValue), "phase": .string(t.status.phase.rawValue)])
        if let stale = result.staleAddress {
            await markStale(stale, recipient: d.spec?["recipient"]?.stringValue, namespace: d.namespace, log)
        }
        do {
            try await actions.perform(t, delivery: written, notification: n, channel: channel, logger: log)
        } catch {
            // The status is recorded; a failed retry publish was taken back and is published
            // again by the delivery's next tick, so the result itself is done.
            log.warning("follow-up of a result failed", metadata: ["error": "\(error)"])
        }
        return ObjectKey(kind: "Channel", namespace: d.namespace, name: channelName)
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
