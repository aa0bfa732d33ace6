/// The kinds Herald serves, looked up by kind name, plural, singular or short name.
public struct KindRegistry: Sendable {
    public let kinds: [KindDefinition]
    let byKind: [String: Int]
    let byResource: [String: Int]
    let selectable: [String: [SelectableField]]

    public static let herald = KindRegistry(kinds: [
        .notification, .delivery, .template, .channel, .recipient, .secret, .event, .namespace,
    ])

    public init(kinds: [KindDefinition]) {
        self.kinds = kinds
        var byKind: [String: Int] = [:]
        var byResource: [String: Int] = [:]
        var selectable: [String: [SelectableField]] = [:]
        for (i, k) in kinds.enumerated() {
            byKind[k.kind] = i
            byResource["\(k.group)/\(k.plural)"] = i
            selectable[k.kind] = k.selectableFields.keys.sorted().compactMap { name in
                k.selectableFields[name].map { SelectableField(name: name, read: $0) }
            }
        }
        self.byKind = byKind
        self.byResource = byResource
        self.selectable = selectable
    }

    /// Whether the kind has a status subresource (false for an unknown kind), without copying its
    /// definition: every update asks.
    public func hasStatus(_ kind: String) -> Bool {
        byKind[kind].map { kinds[$0].hasStatus } ?? false
    }

    /// The kind's selectable fields (beyond metadata.name and metadata.namespace) by name, each
    /// path split once: nil for an unknown kind. Cheaper than `kind(_:)`, which copies the whole
    /// definition, for code that reads them from every object written.
    public func selectableFields(of kind: String) -> [SelectableField]? {
        selectable[kind]
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

/// A selectable field: its name, the name's path, and how to read it.
public struct SelectableField: Sendable {
    public let name: String
    public let path: [String]
    public let read: @Sendable (Resource) -> String?

    public init(name: String, read: @escaping @Sendable (Resource) -> String?) {
        self.name = name
        self.path = name.split(separator: ".").map(String.init)
        self.read = read
    }
}
