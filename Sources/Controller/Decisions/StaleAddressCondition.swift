import Foundation
import HeraldAPI

/// The Recipient's `StaleAddresses` condition: which of its addresses providers reported gone,
/// by channel type, so `kubectl describe` and `wait` show it (the list itself stays in
/// `status.staleAddresses`). Pure.
enum StaleAddressCondition {
    static let conditionType = "StaleAddresses"

    /// - Parameters:
    ///   - stale: `status.staleAddresses` (tokens and web-push endpoints).
    ///   - spec: the Recipient's spec, which says what each address is.
    static func condition(stale: [String], spec: JSON) -> Condition {
        guard !stale.isEmpty else {
            return .isFalse(conditionType, "NoneReported", "no provider reported an address of this recipient as gone")
        }
        let described = stale.map { value -> String in
            if let device = spec["devices"]?.arrayValue?.first(where: { $0["token"]?.stringValue == value }) {
                return "\(device["type"]?.stringValue ?? "device") token \(shortened(value))"
            }
            if spec["webPush"]?.arrayValue?.contains(where: { $0["endpoint"]?.stringValue == value }) == true {
                return "webpush subscription \(shortened(value))"
            }
            return "\(shortened(value)) (no longer in the spec)"
        }
        return .isTrue(
            conditionType, "ProviderReportedGone",
            "\(stale.count) address\(stale.count == 1 ? "" : "es") reported gone by the provider: \(described.joined(separator: ", ")); remove or refresh \(stale.count == 1 ? "it" : "them") in the Recipient's spec"
        )
    }

    /// Whether an address is still one of the Recipient's (a device token or a web-push endpoint).
    static func isInSpec(_ value: String, spec: JSON) -> Bool {
        spec["devices"]?.arrayValue?.contains { $0["token"]?.stringValue == value } == true
            || spec["webPush"]?.arrayValue?.contains { $0["endpoint"]?.stringValue == value } == true
    }

    /// The status after the Recipient's spec changed: stale addresses the spec no longer has are
    /// dropped (the user removed or refreshed them) and the condition follows. Nil when there is
    /// nothing to write, which includes every Recipient that never had a stale address.
    static func status(current: JSON?, spec: JSON, generation: Int64, now: Date) -> JSON? {
        let listed = current?["staleAddresses"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let existing = current?["conditions"]?.arrayValue ?? []
        guard !listed.isEmpty || existing.contains(where: { $0["type"]?.stringValue == conditionType }) else { return nil }
        let kept = listed.filter { isInSpec($0, spec: spec) }
        let conditions = Conditions.merge(
            existing: existing, desired: [condition(stale: kept, spec: spec)], generation: generation, now: now)
        guard kept != listed || conditions != existing else { return nil }
        var next = current ?? .emptyObject
        next["staleAddresses"] = kept.isEmpty ? nil : .array(kept.map(JSON.string))
        next["conditions"] = .array(conditions)
        return next
    }

    /// Tokens run to hundreds of characters; enough to recognise one is shown.
    static func shortened(_ s: String) -> String {
        s.count <= 48 ? s : String(s.prefix(45)) + "..."
    }
}
