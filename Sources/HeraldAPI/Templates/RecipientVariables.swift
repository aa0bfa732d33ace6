/// The `recipient` variable templates may use (`{{recipient.name}}`, `{{recipient.email}}`):
/// the recipient's name, locale, timezone and the address the message goes to. Workers add it
/// from the job and the render preview from the Recipient, through this one function, so a
/// preview renders exactly what a worker sends.
public enum RecipientVariables {
    /// `variables` with `recipient` added; a `recipient` the notification sets itself wins.
    public static func merged(
        _ variables: JSON, name: String?, address: JSON, locale: String?, timezone: String?
    ) -> JSON {
        var o: JSONObject
        switch variables {
        case .object(let given): o = given
        case .null: o = [:]
        default: return variables  // the renderer reports the wrong type
        }
        guard o["recipient"] == nil else { return variables }
        let fields = address.objectValue ?? [:]
        var r = JSONObject()
        // Sized once: every send merges, and each insert past the capacity grew the storage.
        r.reserveCapacity(fields.count + 3)
        for (key, value) in fields {
            // Structured addresses (a web-push subscription) are not text to show.
            if case .string(let s) = value, !s.isEmpty { r[key] = value }
        }
        if let name, !name.isEmpty { r["name"] = .string(name) }
        if let locale, !locale.isEmpty { r["locale"] = .string(locale) }
        if let timezone, !timezone.isEmpty { r["timezone"] = .string(timezone) }
        o["recipient"] = .object(r)
        return .object(o)
    }

    /// Stand-in values for checks made before the recipient is known (the Notification's
    /// `Accepted` condition): `recipient.*` counts as provided there, and the address itself is
    /// checked when the Delivery is planned.
    public static func placeholder(_ variables: JSON) -> JSON {
        let address: JSON = ["email": "-", "phone": "-", "webhook": "-", "deviceToken": "-"]
        return merged(variables, name: "-", address: address, locale: "-", timezone: "-")
    }
}
