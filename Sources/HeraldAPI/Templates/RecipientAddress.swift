/// Picks the one address a channel type needs (the `DeliveryJob.recipient.address` shapes).
/// Shared by the controller's jobs and the API server's render preview, so both see the same one.
public enum RecipientAddress {
    public enum Lookup: Equatable, Sendable {
        case found(JSON)
        /// The recipient has no address this channel type can use; the text says which.
        case missing(String)
    }

    /// From a Recipient's `spec`.
    public static func fromRecipient(_ spec: JSON, channelType: String) -> Lookup {
        switch channelType {
        case "smtp":
            guard let email = spec["email"]?.stringValue, !email.isEmpty else { return .missing("an email address") }
            return .found(["email": .string(email)])
        case "twilio":
            guard let phone = spec["phone"]?.stringValue, !phone.isEmpty else { return .missing("a phone number") }
            return .found(["phone": .string(phone)])
        case "fcm", "apns":
            let token = spec["devices"]?.arrayValue?.first { $0["type"]?.stringValue == channelType }?["token"]?.stringValue
            guard let token, !token.isEmpty else { return .missing("a device of type \(channelType)") }
            return .found(["deviceToken": .string(token)])
        case "webpush":
            guard let sub = spec["webPush"]?.arrayValue?.first else { return .missing("a web push subscription") }
            return .found(["webPush": sub])
        case "webhook":
            if let url = spec["webhook"]?["url"]?.stringValue, !url.isEmpty { return .found(["webhook": .string(url)]) }
            return .found(.emptyObject)
        case "slack":
            return .found(.emptyObject)
        default:
            // log (and types this version does not know): whatever identifies the recipient.
            var o: JSONObject = [:]
            for key in ["email", "phone"] { if let v = spec[key], v.stringValue?.isEmpty == false { o[key] = v } }
            return .found(.object(o))
        }
    }

    /// From an ad-hoc `to[].address`.
    public static func fromAdHoc(_ address: JSON, channelType: String) -> Lookup {
        func field(_ key: String, _ what: String) -> Lookup {
            guard let v = address[key]?.stringValue, !v.isEmpty else { return .missing(what) }
            return .found([key: .string(v)])
        }
        switch channelType {
        case "smtp": return field("email", "an email address")
        case "twilio": return field("phone", "a phone number")
        case "fcm", "apns": return field("deviceToken", "a deviceToken")
        case "webpush": return .missing("a web push subscription (use a Recipient for web push)")
        case "webhook":
            if case .found(let a) = field("webhook", "") { return .found(a) }
            return .found(.emptyObject)
        case "slack": return .found(.emptyObject)
        default:
            var o = address.objectValue ?? [:]
            o["locale"] = nil
            o["timezone"] = nil
            return .found(.object(o))
        }
    }

    /// A readable label for an ad-hoc address (`Delivery.spec.recipient`).
    public static func label(forAdHoc address: JSON) -> String {
        for key in ["email", "phone", "webhook", "deviceToken"] {
            if let v = address[key]?.stringValue, !v.isEmpty { return v }
        }
        return "address"
    }
}
