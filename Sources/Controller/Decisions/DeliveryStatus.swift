import Foundation
import HeraldAPI

/// The last error of a Delivery (`status.lastError`).
public struct DeliveryFailure: Sendable, Hashable {
    public enum Class: String, Sendable, Hashable {
        case transient, permanent
    }

    public var errorClass: Class
    public var code: String
    public var message: String

    public init(errorClass: Class, code: String, message: String) {
        self.errorClass = errorClass
        self.code = code
        self.message = message
    }

    var json: JSON {
        ["class": .string(errorClass.rawValue), "code": .string(code), "message": .string(message)]
    }

    init?(json: JSON?) {
        guard let json, let code = json["code"]?.stringValue else { return nil }
        errorClass = json["class"]?.stringValue.flatMap(Class.init(rawValue:)) ?? .transient
        self.code = code
        message = json["message"]?.stringValue ?? ""
    }
}

/// A typed view of a Delivery's `status`, the state the `DeliveryStateMachine` works on.
///
/// `attempts` counts attempts handed to the broker. `queuedTime` is set while a job for attempt
/// `attempts` is in the broker (published, no result yet) and cleared when its result is
/// recorded: a result is current only while it is set, so a redelivered result of an attempt
/// already recorded is ignored.
public struct DeliveryStatus: Sendable, Hashable {
    public var phase: DeliveryPhase
    public var attempts: Int
    public var lastAttemptTime: Date?
    public var nextAttemptTime: Date?
    public var queuedTime: Date?
    public var lastError: DeliveryFailure?
    public var providerMessageID: String?
    public var renderedDigest: String?
    /// Why the delivery is in its phase (OptedOut, QuietHours, AttemptsExhausted, …).
    public var reason: String?
    /// Attempts whose job sent nothing (the Channel's circuit was open, its rate limit was
    /// reached, the worker was stopping): they are delays, and do not count against maxAttempts.
    public var heldBack: Int = 0
    /// When the delivery became Failed: `dlq list` shows its age, and `dlq show` when it happened.
    public var failedTime: Date?
    /// Fields this view does not model (conditions a newer version wrote), kept on write.
    var other: JSONObject = [:]

    public init(
        phase: DeliveryPhase = .pending, attempts: Int = 0, lastAttemptTime: Date? = nil, nextAttemptTime: Date? = nil,
        queuedTime: Date? = nil, lastError: DeliveryFailure? = nil, providerMessageID: String? = nil,
        renderedDigest: String? = nil, reason: String? = nil
    ) {
        self.phase = phase
        self.attempts = attempts
        self.lastAttemptTime = lastAttemptTime
        self.nextAttemptTime = nextAttemptTime
        self.queuedTime = queuedTime
        self.lastError = lastError
        self.providerMessageID = providerMessageID
        self.renderedDigest = renderedDigest
        self.reason = reason
    }

    /// Attempts that reached the provider (or failed trying).
    public var providerAttempts: Int { attempts - heldBack }

    /// Whether a job for the current attempt is in the broker.
    public var isDispatched: Bool { queuedTime != nil }

    static let modelled: Set<String> = [
        "phase", "attempts", "lastAttemptTime", "nextAttemptTime", "queuedTime", "lastError", "providerMessageID",
        "renderedDigest", "reason", "heldBack", "failedTime",
    ]

    /// Reads `status`; a missing or unreadable status is a new, Pending delivery.
    public init(json: JSON?) {
        let o = json?.objectValue ?? [:]
        phase = o["phase"]?.stringValue.flatMap(DeliveryPhase.init(rawValue:)) ?? .pending
        attempts = Int(o["attempts"]?.intValue ?? 0)
        lastAttemptTime = PreciseTime.parse(o["lastAttemptTime"])
        nextAttemptTime = PreciseTime.parse(o["nextAttemptTime"])
        queuedTime = PreciseTime.parse(o["queuedTime"])
        lastError = DeliveryFailure(json: o["lastError"])
        providerMessageID = o["providerMessageID"]?.stringValue
        renderedDigest = o["renderedDigest"]?.stringValue
        reason = o["reason"]?.stringValue
        heldBack = Int(o["heldBack"]?.intValue ?? 0)
        failedTime = PreciseTime.parse(o["failedTime"])
        other = o.filter { !Self.modelled.contains($0.key) }
    }

    public var json: JSON {
        // Appended in key order, so the object is built without sorting or inserting (every
        // status write builds one); `other` holds none of these keys, and goes first.
        var members: [(String, JSON)] = []
        members.reserveCapacity(other.count + 11)
        for (key, value) in other { members.append((key, value)) }
        members.append(("attempts", .int(Int64(attempts))))
        if let failedTime { members.append(("failedTime", .string(PreciseTime.format(failedTime)))) }
        if heldBack > 0 { members.append(("heldBack", .int(Int64(heldBack)))) }
        if let lastAttemptTime { members.append(("lastAttemptTime", .string(PreciseTime.format(lastAttemptTime)))) }
        if let lastError { members.append(("lastError", lastError.json)) }
        if let nextAttemptTime { members.append(("nextAttemptTime", .string(PreciseTime.format(nextAttemptTime)))) }
        members.append(("phase", .string(phase.rawValue)))
        if let providerMessageID { members.append(("providerMessageID", .string(providerMessageID))) }
        if let queuedTime { members.append(("queuedTime", .string(PreciseTime.format(queuedTime)))) }
        if let reason { members.append(("reason", .string(reason))) }
        if let renderedDigest { members.append(("renderedDigest", .string(renderedDigest))) }
        return .object(JSONObject(unsorted: members))
    }
}

extension Resource {
    /// This Delivery's status as a typed value.
    public var deliveryStatus: DeliveryStatus { DeliveryStatus(json: status) }

    /// This Delivery's phase alone: most callers ask only whether it is terminal, and the full
    /// view parses every timestamp.
    public var deliveryPhase: DeliveryPhase {
        status?["phase"]?.stringValue.flatMap(DeliveryPhase.init(rawValue:)) ?? .pending
    }
}
