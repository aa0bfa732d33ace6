/// Which template part each channel type reads, and the inline-message form of a template.
/// Shared by the controller (building jobs, checking `Accepted`) and the workers (rendering).
public enum TemplateContent {
    /// The template parts, in the order a `log` channel looks for one.
    public static let partNames = ["email", "chat", "sms", "push", "webhook"]

    /// `smtp` → `email`, `webpush`/`fcm`/`apns` → `push`, `twilio` → `sms`, `slack` → `chat`,
    /// `webhook` → `webhook`; `log` (any part) and unknown types → nil.
    public static func part(forChannelType type: String) -> String? {
        switch type {
        case "smtp": return "email"
        case "webpush", "fcm", "apns": return "push"
        case "twilio": return "sms"
        case "slack": return "chat"
        case "webhook": return "webhook"
        default: return nil
        }
    }

    /// The RabbitMQ routing key for a channel type (architecture.md: `email`, `webhook`, `slack`,
    /// `push`, `sms`, `log`).
    public static func routingKey(forChannelType type: String) -> String {
        switch type {
        case "smtp": return "email"
        case "webpush", "fcm", "apns": return "push"
        case "twilio": return "sms"
        case "slack": return "slack"
        case "webhook": return "webhook"
        default: return "log"
        }
    }

    /// Turns an inline `Notification.spec.message` (`subject`, `text`, `html`, `title`, `body`,
    /// `data`) into template content, so one renderer serves both. The inline message serves
    /// every channel: `text` feeds email, sms and chat; `body` feeds push and the webhook.
    public static func fromInlineMessage(_ message: JSON) -> JSON {
        func pick(_ keys: [(String, String)]) -> JSON? {
            var o: JSONObject = [:]
            for (from, to) in keys { if let v = message[from], !v.isNull { o[to] = v } }
            return o.isEmpty ? nil : .object(o)
        }
        var spec: JSONObject = [:]
        spec["email"] = pick([("subject", "subject"), ("text", "text"), ("html", "html")])
        spec["push"] = pick([("title", "title"), ("body", "body"), ("data", "data")])
        spec["sms"] = pick([("text", "text")])
        spec["chat"] = pick([("text", "text")])
        spec["webhook"] = pick([("body", "body")])
        return .object(spec)
    }
}
