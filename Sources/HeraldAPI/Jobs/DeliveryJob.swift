import Foundation

/// One attempt at one Delivery, published by the controller and executed by a worker
/// (architecture.md, "Job protocol").
///
/// The job carries everything the worker needs so that workers never read the store: the
/// resolved Channel spec (secrets by reference only), the resolved template content, the
/// variables and the recipient's resolved address. On the wire it is a JSON object with
/// exactly these field names; `encoded()` / `decode(_:)` are the fast path, and the `Codable`
/// conformance produces the same document for code that prefers coders.
public struct DeliveryJob: Sendable, Hashable {
    /// The Delivery's `metadata.uid`.
    public var deliveryUID: String
    public var namespace: String
    /// The Delivery's name.
    public var delivery: String
    /// The owning Notification's name.
    public var notification: String
    /// 1-based; the controller ignores results whose attempt is not the current one.
    public var attempt: Int
    public var channel: JobChannel
    /// Resolved template content: the Template's `spec` (parts `email`, `push`, `sms`, `chat`,
    /// `webhook`, `locales`, `variables`), or an inline message turned into that shape by
    /// `TemplateContent.fromInlineMessage`.
    public var template: JSON
    /// The Notification's `spec.variables` (an object).
    public var variables: JSON
    public var recipient: JobRecipient
    public var priority: DeliveryPriority
    /// Propagated into provider headers and every log line about this job.
    public var correlationID: String
    /// deliveryUID + round: the same for every attempt of one round, so providers can see repeats.
    public var idempotencyKey: String
    /// After this instant the worker does not send (the Notification's `deliverBy`).
    public var deadline: Date?

    public init(
        deliveryUID: String, namespace: String, delivery: String, notification: String, attempt: Int,
        channel: JobChannel, template: JSON, variables: JSON = .emptyObject, recipient: JobRecipient,
        priority: DeliveryPriority = .normal, correlationID: String, idempotencyKey: String, deadline: Date? = nil
    ) {
        self.deliveryUID = deliveryUID
        self.namespace = namespace
        self.delivery = delivery
        self.notification = notification
        self.attempt = attempt
        self.channel = channel
        self.template = template
        self.variables = variables
        self.recipient = recipient
        self.priority = priority
        self.correlationID = correlationID
        self.idempotencyKey = idempotencyKey
        self.deadline = deadline
    }
}

/// The Channel a job goes through: its name, its type and its whole resolved `spec`.
/// Secrets stay references (`secretRef` fields inside `spec`); workers resolve them.
public struct JobChannel: Sendable, Hashable {
    public var name: String
    /// smtp | webhook | slack | webpush | fcm | apns | twilio | log
    public var type: String
    /// The Channel's `spec`, including `timeout`, `rateLimit`, `circuitBreaker`.
    public var spec: JSON

    public init(name: String, type: String, spec: JSON) {
        self.name = name
        self.type = type
        self.spec = spec
    }
}

/// Who a job goes to. `address` holds the one resolved address for the channel type:
///
/// | channel type | address |
/// |---|---|
/// | smtp | `{"email": "ada@example.com"}` |
/// | webhook | `{"webhook": "https://…"}` (optional; overrides the Channel's url) |
/// | twilio | `{"phone": "+15550100"}` |
/// | fcm, apns | `{"deviceToken": "…"}` |
/// | webpush | `{"webPush": {"endpoint": "https://…", "keys": {"p256dh": "…", "auth": "…"}}}` |
/// | slack, log | `{}` |
public struct JobRecipient: Sendable, Hashable {
    /// The Recipient's name, or a label for an ad-hoc address.
    public var name: String?
    public var address: JSON
    /// BCP 47 tag such as `fr-CA`; picks the template's locale variant.
    public var locale: String?
    /// IANA zone such as `Europe/Paris`.
    public var timezone: String?

    public init(name: String? = nil, address: JSON, locale: String? = nil, timezone: String? = nil) {
        self.name = name
        self.address = address
        self.locale = locale
        self.timezone = timezone
    }
}

public enum DeliveryPriority: String, Sendable, Hashable, Codable, CaseIterable {
    case low, normal, high
}

// MARK: - Wire format

extension DeliveryJob {
    /// The job as its JSON document.
    public var json: JSON {
        var o: JSONObject = [
            "deliveryUID": .string(deliveryUID), "namespace": .string(namespace), "delivery": .string(delivery),
            "notification": .string(notification), "attempt": .int(Int64(attempt)),
            "channel": ["name": .string(channel.name), "type": .string(channel.type), "spec": channel.spec],
            "template": template, "variables": variables, "recipient": recipient.json,
            "priority": .string(priority.rawValue), "correlationID": .string(correlationID),
            "idempotencyKey": .string(idempotencyKey),
        ]
        if let deadline { o["deadline"] = .string(Timestamp.format(deadline)) }
        return .object(o)
    }

    public init(json: JSON) throws(JobDecodingError) {
        let r = try JobFieldReader(json, at: "")
        let c = try JobFieldReader(r.json("channel"), at: "channel")
        let attempt = try r.int("attempt")
        guard attempt >= 1 else { throw JobDecodingError(field: "attempt", problem: "must be 1 or more, got \(attempt)") }
        self.init(
            deliveryUID: try r.string("deliveryUID"), namespace: try r.string("namespace"),
            delivery: try r.string("delivery"), notification: try r.string("notification"), attempt: attempt,
            channel: JobChannel(name: try c.string("name"), type: try c.string("type"), spec: try c.json("spec", default: .emptyObject)),
            template: try r.json("template", default: .emptyObject), variables: try r.json("variables", default: .emptyObject),
            recipient: try JobRecipient(json: r.json("recipient")),
            priority: r.object["priority"] == nil ? .normal : try r.enumValue("priority", DeliveryPriority.self),
            correlationID: try r.string("correlationID"), idempotencyKey: try r.string("idempotencyKey"),
            deadline: try r.optionalTime("deadline"))
    }

    /// Compact JSON bytes, keys sorted: the bytes of `json.serialized()`, written without
    /// building the tree (the controller encodes every job it publishes).
    public func encoded() -> [UInt8] {
        var w = JSONMemberWriter(capacity: 1024)
        w.member("attempt", int: attempt)
        w.object("channel") { c in
            c.member("name", string: channel.name)
            c.member("spec", channel.spec)
            c.member("type", string: channel.type)
        }
        w.member("correlationID", string: correlationID)
        if let deadline { w.member("deadline", string: Timestamp.format(deadline)) }
        w.member("delivery", string: delivery)
        w.member("deliveryUID", string: deliveryUID)
        w.member("idempotencyKey", string: idempotencyKey)
        w.member("namespace", string: namespace)
        w.member("notification", string: notification)
        w.member("priority", string: priority.rawValue)
        w.object("recipient") { r in
            r.member("address", recipient.address)
            if let locale = recipient.locale { r.member("locale", string: locale) }
            if let name = recipient.name { r.member("name", string: name) }
            if let timezone = recipient.timezone { r.member("timezone", string: timezone) }
        }
        w.member("template", template)
        w.member("variables", variables)
        return w.finish()
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(JobDecodingError) -> DeliveryJob {
        let document: JSON
        do { document = try JSON.parse(bytes) } catch {
            throw JobDecodingError(field: "<document>", problem: "is not JSON (\(error))")
        }
        return try DeliveryJob(json: document)
    }
}

extension JobRecipient {
    public var json: JSON {
        var o: JSONObject = ["address": address]
        if let name { o["name"] = .string(name) }
        if let locale { o["locale"] = .string(locale) }
        if let timezone { o["timezone"] = .string(timezone) }
        return .object(o)
    }

    public init(json: JSON) throws(JobDecodingError) {
        let r = try JobFieldReader(json, at: "recipient")
        self.init(
            name: try r.optionalString("name"), address: try r.json("address", default: .emptyObject),
            locale: try r.optionalString("locale"), timezone: try r.optionalString("timezone"))
    }
}

// The Codable conformance goes through `json` so both paths produce one document.
extension DeliveryJob: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSON(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
