import Foundation
import HeraldAPI

/// Delivery counts by outcome (`Notification.status.deliveries`).
public struct DeliveryCounts: Sendable, Hashable {
    public var total = 0
    /// Not yet sent: Pending, Queued, Sending.
    public var pending = 0
    public var delivered = 0
    public var retrying = 0
    public var failed = 0
    public var suppressed = 0
    public var expired = 0
    /// Pending deliveries that wait for a time (scheduled sends, quiet hours) rather than a worker.
    var waiting = 0

    public init() {}

    /// Counts deliveries; Canceled ones count nowhere (they left the spec or the notification is going).
    public init(_ statuses: some Sequence<DeliveryStatus>) {
        for s in statuses {
            switch s.phase {
            case .canceled: continue
            case .pending:
                pending += 1
                waiting += 1
            case .queued, .sending: pending += 1
            case .retrying: retrying += 1
            case .delivered: delivered += 1
            case .failed: failed += 1
            case .suppressed: suppressed += 1
            case .expired: expired += 1
            }
            total += 1
        }
    }

    public var inFlight: Int { pending + retrying }
    public var allTerminal: Bool { inFlight == 0 }

    var json: JSON {
        [
            "total": .int(Int64(total)), "pending": .int(Int64(pending)), "delivered": .int(Int64(delivered)),
            "retrying": .int(Int64(retrying)), "failed": .int(Int64(failed)), "suppressed": .int(Int64(suppressed)),
            "expired": .int(Int64(expired)),
        ]
    }

    /// "2/3 delivered", plus what else happened ("1 failed, 1 suppressed").
    var summary: String {
        var parts = ["\(delivered)/\(total) delivered"]
        if retrying > 0 { parts.append("\(retrying) retrying") }
        if failed > 0 { parts.append("\(failed) failed") }
        if expired > 0 { parts.append("\(expired) expired") }
        if suppressed > 0 { parts.append("\(suppressed) suppressed") }
        return parts.joined(separator: ", ")
    }
}

/// The Notification's summary `phase`.
public enum NotificationPhase: String, Sendable, Hashable, CaseIterable {
    case pending = "Pending"
    case scheduled = "Scheduled"
    case delivering = "Delivering"
    case delivered = "Delivered"
    case partiallyFailed = "PartiallyFailed"
    case failed = "Failed"
    case expired = "Expired"
    case suspended = "Suspended"
}

/// Computes a Notification's `status` from its Deliveries: phase, counts, and the conditions
/// Accepted, Delivered and Ready, each stamped with `observedGeneration` so that
/// `kubectl wait --for=condition=Delivered` after a spec change waits for the new generation.
public struct StatusAggregator: Sendable {
    public struct Input: Sendable {
        public var generation: Int64
        /// The Accepted condition the planner decided.
        public var accepted: Condition
        public var suspended: Bool
        public var round: Int
        /// The deliveries of the current round.
        public var deliveries: [DeliveryStatus]
        /// The status as stored, whose conditions' transition times are kept.
        public var current: JSON?
        public var now: Date

        public init(
            generation: Int64, accepted: Condition, suspended: Bool = false, round: Int = 0, deliveries: [DeliveryStatus],
            current: JSON?, now: Date
        ) {
            self.generation = generation
            self.accepted = accepted
            self.suspended = suspended
            self.round = round
            self.deliveries = deliveries
            self.current = current
            self.now = now
        }
    }

    public init() {}

    public func phase(counts c: DeliveryCounts, accepted: Bool, suspended: Bool) -> NotificationPhase {
        if c.total == 0 { return accepted && suspended ? .suspended : .pending }
        if !c.allTerminal {
            if suspended { return .suspended }
            return c.waiting == c.inFlight && c.delivered + c.failed + c.expired == 0 ? .scheduled : .delivering
        }
        if !accepted { return .pending }
        if c.failed > 0 { return c.delivered > 0 ? .partiallyFailed : .failed }
        if c.expired > 0 { return c.delivered > 0 ? .partiallyFailed : .expired }
        return .delivered
    }

    public func status(_ input: Input) -> JSON {
        let counts = DeliveryCounts(input.deliveries)
        let accepted = input.accepted.status == .true
        let phase = phase(counts: counts, accepted: accepted, suspended: input.suspended)
        let summary = counts.summary

        let delivered: Condition
        let ready: Condition
        if !accepted {
            delivered = .isFalse("Delivered", "NotAccepted", input.accepted.message)
            ready = .isFalse("Ready", "NotAccepted", input.accepted.message)
        } else if counts.total == 0 {
            delivered = .isFalse("Delivered", "NoDeliveries", "no deliveries yet")
            ready = .isFalse("Ready", "NoDeliveries", "no deliveries yet")
        } else {
            switch phase {
            case .delivered:
                delivered = .isTrue("Delivered", "Delivered", summary)
                ready = .isTrue("Ready", "Complete", summary)
            case .failed, .partiallyFailed, .expired:
                delivered = .isFalse("Delivered", phase.rawValue, summary)
                ready = .isFalse("Ready", phase.rawValue, summary)
            case .suspended:
                delivered = .isFalse("Delivered", "Suspended", summary + "; spec.suspend is true")
                ready = .isFalse("Ready", "Suspended", summary + "; spec.suspend is true")
            case .scheduled:
                delivered = .isFalse("Delivered", "Scheduled", summary)
                ready = .isFalse("Ready", "Scheduled", summary)
            case .pending, .delivering:
                delivered = .isFalse("Delivered", "InProgress", summary)
                ready = .isFalse("Ready", "InProgress", summary)
            }
        }

        var o = input.current?.objectValue ?? [:]
        o["observedGeneration"] = .int(input.generation)
        o["phase"] = .string(phase.rawValue)
        o["deliveries"] = counts.json
        o["round"] = .int(Int64(input.round))
        o["conditions"] = .array(
            Conditions.merge(
                existing: input.current?["conditions"]?.arrayValue ?? [], desired: [input.accepted, delivered, ready],
                generation: input.generation, now: input.now))
        return .object(o)
    }
}
