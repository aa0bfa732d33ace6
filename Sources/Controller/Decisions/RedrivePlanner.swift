import Foundation
import HeraldAPI

/// What the controller does with one redrive request (`herald.dev/redrive-requested-at` on a
/// Delivery): carry it out, or refuse it and say why.
public struct RedriveStep: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// A new Delivery for the same (recipient, channel) replaces the failed one.
        case redriven(replacement: String)
        case refused(String)
    }

    /// The Delivery that carries the request.
    public var delivery: String
    /// The request's `requestedAt` value, written back as handled.
    public var requestedAt: String
    public var requestedBy: String
    public var outcome: Outcome

    public init(delivery: String, requestedAt: String, requestedBy: String, outcome: Outcome) {
        self.delivery = delivery
        self.requestedAt = requestedAt
        self.requestedBy = requestedBy
        self.outcome = outcome
    }

    /// The Event recorded about the Notification and the Delivery.
    public var note: EventNote {
        switch outcome {
        case .redriven(let replacement):
            return .normal("Redriven", "redriven by \(requestedBy): delivery \(delivery) is replaced by \(replacement)")
        case .refused(let why):
            return .warning("RedriveRefused", "redrive of \(delivery) requested by \(requestedBy) refused: \(why)")
        }
    }
}

/// Redrive decisions, pure. A (recipient, channel) pair of one round is a chain of Deliveries:
/// the original (`…-<round>`) and each redrive of it (`…-<round>-r1`, `-r2`, …), each newer one
/// replacing the one before. Only the newest member of a chain counts for the Notification's
/// status, and only a newest member that Failed can be redriven: so one failure is redriven at
/// most once, and a redrive is for that pair alone, never the whole notification.
public enum RedrivePlanner {
    public enum Decision: Sendable, Hashable {
        /// Create the next member of the chain to replace `failed`, then mark `failed` redriven.
        case redrive(RedriveStep)
        /// The replacement already exists (a reconcile stopped between creating it and marking the
        /// failed one): only mark, and say so as for a redrive.
        case mark(RedriveStep)
        case refuse(RedriveStep)

        public var step: RedriveStep {
            switch self {
            case .redrive(let s), .mark(let s), .refuse(let s): return s
            }
        }
    }

    /// Decisions for the requests on one chain (oldest member first). `nextName` is the name the
    /// chain's next member gets, made only when a request asks for that member.
    public static func decide(chain: [Resource], nextName: @autoclosure () -> String) -> [Decision] {
        var out: [Decision] = []
        for (index, member) in chain.enumerated() {
            guard let request = DeliveryRedrive.pendingRequest(member) else { continue }
            func step(_ outcome: RedriveStep.Outcome) -> RedriveStep {
                RedriveStep(delivery: member.name, requestedAt: request.at, requestedBy: request.by, outcome: outcome)
            }
            if index + 1 < chain.count {
                let successor = chain[index + 1].name
                if DeliveryRedrive.isRedriven(member) {
                    out.append(.refuse(step(.refused("it was already redriven as \(successor)"))))
                } else {
                    out.append(.mark(step(.redriven(replacement: successor))))
                }
                continue
            }
            let phase = member.deliveryPhase
            guard phase == .failed else {
                out.append(.refuse(step(.refused("it is \(phase.rawValue); only Failed deliveries can be redriven"))))
                continue
            }
            out.append(.redrive(step(.redriven(replacement: nextName()))))
        }
        return out
    }

    /// Refusals for requests on deliveries outside every current chain: an older round (a
    /// resend already sent to every pair again) or a pair that left the spec.
    public static func refuseOutside(_ deliveries: [Resource], currentRound: Int) -> [Decision] {
        deliveries.compactMap { d in
            guard let request = DeliveryRedrive.pendingRequest(d) else { return nil }
            let round = Int(d.spec?["round"]?.intValue ?? 0)
            let why =
                round < currentRound
                ? "it belongs to round \(round), and round \(currentRound) (herald.dev/resend-at) has sent to every pair again"
                : "its recipient or channel is no longer in the notification's spec"
            return .refuse(RedriveStep(delivery: d.name, requestedAt: request.at, requestedBy: request.by, outcome: .refused(why)))
        }
    }

    /// The deliveries that count for the Notification's status: those no redrive replaced.
    public static func withoutReplaced(_ deliveries: [Resource]) -> [Resource] {
        let replaced = Set(deliveries.compactMap { $0.spec?["redriveOf"]?.stringValue })
        guard !replaced.isEmpty else { return deliveries }
        return deliveries.filter { !replaced.contains($0.name) }
    }
}
