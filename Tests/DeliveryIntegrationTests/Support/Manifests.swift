import HeraldAPI

/// The objects the scenarios apply: a webhook Channel pointing at the sink, a Template, and
/// Notifications to ad-hoc addresses (each address is one Delivery on the webhook channel).
enum Manifests {
    static func webhookChannel(url: String, retry: JSON? = nil) -> JSON {
        var spec: JSON = ["type": "webhook", "webhook": ["url": .string(url)], "timeout": "10s"]
        if let retry { spec["retry"] = retry }
        return spec
    }

    /// The webhook body names the notification and the recipient, so the sink can tell
    /// requests apart.
    static let template: JSON = ["webhook": ["body": "{\"n\":\"{{n}}\",\"to\":\"{{to}}\"}"]]

    /// - Parameter sinkURL: when set, each recipient gets a webhook URL of its own there
    ///   (`…/hook?<name>-<index>`), so the sink knows which recipient a request is for without
    ///   trusting the Idempotency-Key.
    static func notification(
        _ name: String, recipients: Int, priority: String = "normal", sinkURL: String? = nil, extra: JSONObject = [:]
    ) -> JSON {
        let to: [JSON] = (0..<recipients).map { index in
            var address: JSON = ["email": .string("r\(index)@\(name).example")]
            if let sinkURL { address["webhook"] = .string("\(sinkURL)?\(name)-\(index)") }
            return ["address": address]
        }
        var spec: JSONObject = [
            "templateRef": ["name": "t"], "variables": ["n": .string(name), "to": "someone"], "channels": ["hooks"],
            "priority": .string(priority), "to": .array(to),
        ]
        for (key, value) in extra { spec[key] = value }
        return .object(spec)
    }

    /// Channel `hooks` and Template `t`.
    static func applyBasics(_ api: HeraldClient, sinkURL: String, retry: JSON? = nil) async throws {
        try await api.create("Channel", "hooks", spec: webhookChannel(url: sinkURL, retry: retry))
        try await api.create("Template", "t", spec: template)
    }
}
