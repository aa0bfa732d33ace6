/// The kinds Herald serves, looked up by kind name, plural, singular or short name.
public struct KindRegistry: Sendable {
    public let kinds: [KindDefinition]
    let byKind: [String: Int]
    let byResource: [String: Int]

    public static let herald = KindRegistry(kinds: [
        .notification, .delivery, .template, .channel, .recipient, .secret, .event, .namespace,
    ])

    public init(kinds: [KindDefinition]) {
        self.kinds = kinds
        var byKind: [String: Int] = [:]
        var byResource: [String: Int] = [:]
        for (i, k) in kinds.enumerated() {
            byKind[k.kind] = i
            byResource["\(k.group)/\(k.plural)"] = i
        }
        self.byKind = byKind
        self.byResource = byResource
    }

    public func kind(_ name: String) -> KindDefinition? {
        byKind[name].map { kinds[$0] }
    }

    /// By API group and plural resource name, as in a request path.
    public func resource(group: String, plural: String) -> KindDefinition? {
        byResource["\(group)/\(plural)"].map { kinds[$0] }
    }

    /// By any name a user may type (`notif`, `notifications`, `Notification`, `notifications.herald.dev`).
    public func lookup(_ name: String) -> KindDefinition? {
        let lower = name.lowercased()
        let base = lower.split(separator: ".", maxSplits: 1).first.map(String.init) ?? lower
        return kinds.first { k in
            k.plural == base || k.singular == base || k.kind.lowercased() == base || k.shortNames.contains(base)
        }
    }

    public func group(_ group: String) -> [KindDefinition] {
        kinds.filter { $0.group == group }
    }
}
