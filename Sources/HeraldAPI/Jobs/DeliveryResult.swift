import Foundation

/// What a worker reports for one attempt of one Delivery (architecture.md, "Job protocol").
/// The worker never decides retries: it classifies, and the controller schedules.
public struct DeliveryResult: Sendable, Hashable {
    public var deliveryUID: String
    /// Copied from the job; results for an attempt that is not current are ignored.
    public var attempt: Int
    public var outcome: DeliveryOutcome
    /// A short CamelCase or provider code (`HTTP503`, `SMTP550`, `CircuitOpen`, `Unregistered`).
    public var code: String
    /// What went wrong and what to do, for `Delivery.status.lastError.message`. Never holds secrets.
    public var message: String
    public var providerMessageID: String?
    /// Seconds the provider (or the circuit breaker, or the rate limiter) asked to wait; a floor
    /// for the controller's backoff.
    public var retryAfter: Double?
    /// `sha256:<hex>` of the rendered content.
    public var renderedDigest: String?
    public var timings: DeliveryTimings
    /// A device token or web-push subscription the provider reported as gone; the controller
    /// marks it on the Recipient.
    public var staleAddress: StaleAddress?
    /// The worker's circuit-breaker state for the job's Channel after this attempt.
    public var circuit: CircuitState

    public init(
        deliveryUID: String, attempt: Int, outcome: DeliveryOutcome, code: String, message: String,
        providerMessageID: String? = nil, retryAfter: Double? = nil, renderedDigest: String? = nil,
        timings: DeliveryTimings, staleAddress: StaleAddress? = nil, circuit: CircuitState = .closed
    ) {
        self.deliveryUID = deliveryUID
        self.attempt = attempt
        self.outcome = outcome
        self.code = code
        self.message = message
        self.providerMessageID = providerMessageID
        self.retryAfter = retryAfter
        self.renderedDigest = renderedDigest
        self.timings = timings
        self.staleAddress = staleAddress
        self.circuit = circuit
    }
}

public enum DeliveryOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// The provider accepted the message.
    case delivered
    /// Worth another attempt later (timeouts, 5xx, 429, SMTP 4xx, open circuit, rate limit).
    case transient
    /// Another attempt would fail the same way (4xx, SMTP 5xx, missing variable, stale token).
    case permanent
}

public enum CircuitState: String, Sendable, Hashable, Codable, CaseIterable {
    case closed, open, halfOpen
}

/// Where the time of one attempt went. Durations are seconds.
public struct DeliveryTimings: Sendable, Hashable {
    public var startedAt: Date
    public var finishedAt: Date
    /// Rendering the template.
    public var renderSeconds: Double
    /// Waiting for the Channel's rate limit.
    public var waitSeconds: Double
    /// Talking to the provider.
    public var sendSeconds: Double

    public init(startedAt: Date, finishedAt: Date, renderSeconds: Double = 0, waitSeconds: Double = 0, sendSeconds: Double = 0) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.renderSeconds = renderSeconds
        self.waitSeconds = waitSeconds
        self.sendSeconds = sendSeconds
    }

    public var totalSeconds: Double { finishedAt.timeIntervalSince(startedAt) }
}

/// An address a provider reported as no longer valid.
public struct StaleAddress: Sendable, Hashable {
    /// fcm | apns | webpush
    public var channelType: String
    /// `deviceToken` or `webPushEndpoint`.
    public var kind: String
    /// The token, or the subscription's endpoint URL (what `Recipient.status.staleAddresses` lists).
    public var value: String
    /// The provider's words (`Unregistered`, `HTTP410`).
    public var reason: String

    public init(channelType: String, kind: String, value: String, reason: String) {
        self.channelType = channelType
        self.kind = kind
        self.value = value
        self.reason = reason
    }
}

// MARK: - Wire format

extension DeliveryResult {
    public var json: JSON {
        var o: JSONObject = [
            "deliveryUID": .string(deliveryUID), "attempt": .int(Int64(attempt)), "outcome": .string(outcome.rawValue),
            "code": .string(code), "message": .string(message), "timings": timings.json,
            "circuit": .string(circuit.rawValue),
        ]
        if let providerMessageID { o["providerMessageID"] = .string(providerMessageID) }
        if let retryAfter { o["retryAfter"] = .double(retryAfter) }
        if let renderedDigest { o["renderedDigest"] = .string(renderedDigest) }
        if let staleAddress { o["staleAddress"] = staleAddress.json }
        return .object(o)
    }

    public init(json: JSON) throws(JobDecodingError) {
        let r = try JobFieldReader(json, at: "")
        self.init(
            deliveryUID: try r.string("deliveryUID"), attempt: try r.int("attempt"),
            outcome: try r.enumValue("outcome", DeliveryOutcome.self), code: try r.optionalString("code") ?? "",
            message: try r.optionalString("message") ?? "", providerMessageID: try r.optionalString("providerMessageID"),
            retryAfter: try r.optionalDouble("retryAfter"), renderedDigest: try r.optionalString("renderedDigest"),
            timings: try DeliveryTimings(json: r.json("timings")),
            staleAddress: try r.object["staleAddress"].flatMap { v throws(JobDecodingError) in
                v.isNull ? nil : try StaleAddress(json: v)
            },
            circuit: r.object["circuit"] == nil ? .closed : try r.enumValue("circuit", CircuitState.self))
    }

    /// Compact JSON bytes, keys sorted: the bytes of `json.serialized()`, written without
    /// building the tree (a worker encodes one per attempt).
    public func encoded() -> [UInt8] {
        var w = JSONMemberWriter(capacity: 512)
        w.member("attempt", int: attempt)
        w.member("circuit", string: circuit.rawValue)
        w.member("code", string: code)
        w.member("deliveryUID", string: deliveryUID)
        w.member("message", string: message)
        w.member("outcome", string: outcome.rawValue)
        if let providerMessageID { w.member("providerMessageID", string: providerMessageID) }
        if let renderedDigest { w.member("renderedDigest", string: renderedDigest) }
        if let retryAfter { w.member("retryAfter", double: retryAfter) }
        if let staleAddress {
            w.object("staleAddress") { a in
                a.member("channelType", string: staleAddress.channelType)
                a.member("kind", string: staleAddress.kind)
                a.member("reason", string: staleAddress.reason)
                a.member("value", string: staleAddress.value)
            }
        }
        w.object("timings") { t in
            t.member("finishedAt", string: DeliveryTimings.format(timings.finishedAt))
            t.member("renderSeconds", double: DeliveryTimings.microseconds(timings.renderSeconds))
            t.member("sendSeconds", double: DeliveryTimings.microseconds(timings.sendSeconds))
            t.member("startedAt", string: DeliveryTimings.format(timings.startedAt))
            t.member("totalSeconds", double: DeliveryTimings.microseconds(timings.totalSeconds))
            t.member("waitSeconds", double: DeliveryTimings.microseconds(timings.waitSeconds))
        }
        return w.finish()
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(JobDecodingError) -> DeliveryResult {
        let document: JSON
        do { document = try JSON.parse(bytes) } catch {
            throw JobDecodingError(field: "<document>", problem: "is not JSON (\(error))")
        }
        return try DeliveryResult(json: document)
    }
}

extension DeliveryTimings {
    public var json: JSON {
        [
            "startedAt": .string(DeliveryTimings.format(startedAt)), "finishedAt": .string(DeliveryTimings.format(finishedAt)),
            "renderSeconds": .double(Self.microseconds(renderSeconds)), "waitSeconds": .double(Self.microseconds(waitSeconds)),
            "sendSeconds": .double(Self.microseconds(sendSeconds)), "totalSeconds": .double(Self.microseconds(totalSeconds)),
        ]
    }

    /// Durations travel to the microsecond: a clock difference printed in full (2.0735000000000001e-05)
    /// is too long for an inline string, so writing it and parsing it back each allocated, four
    /// times per result, for digits no one reads.
    static func microseconds(_ seconds: Double) -> Double {
        guard seconds.isFinite else { return 0 }
        return (seconds * 1e6).rounded() / 1e6
    }

    public init(json: JSON) throws(JobDecodingError) {
        let r = try JobFieldReader(json, at: "timings")
        guard let started = try r.optionalTime("startedAt"), let finished = try r.optionalTime("finishedAt") else {
            throw JobDecodingError(field: "timings", problem: "needs startedAt and finishedAt")
        }
        self.init(
            startedAt: started, finishedAt: finished, renderSeconds: try r.optionalDouble("renderSeconds") ?? 0,
            waitSeconds: try r.optionalDouble("waitSeconds") ?? 0, sendSeconds: try r.optionalDouble("sendSeconds") ?? 0)
    }

    /// RFC 3339 with milliseconds: attempts are often shorter than a second.
    static func format(_ date: Date) -> String {
        Timestamp.format(date, milliseconds: true)
    }
}

extension StaleAddress {
    public var json: JSON {
        ["channelType": .string(channelType), "kind": .string(kind), "value": .string(value), "reason": .string(reason)]
    }

    public init(json: JSON) throws(JobDecodingError) {
        let r = try JobFieldReader(json, at: "staleAddress")
        self.init(
            channelType: try r.string("channelType"), kind: try r.string("kind"), value: try r.string("value"),
            reason: try r.optionalString("reason") ?? "")
    }
}

extension DeliveryResult: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSON(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
