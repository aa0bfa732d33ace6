import HeraldAPI
import NIOCore

public enum StoreEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// One committed change. Events a store reads back from its log carry the stored bytes and decode
/// them only when someone reads `object` or `previous`: most watchers route by kind and namespace
/// (`key`) and send the bytes as they are, and parsing every event was a large share of an API
/// server's CPU.
public struct StoreEvent: Sendable {
    public var type: StoreEventType
    public var resourceVersion: Int64

    /// The changed object's kind, namespace and name (also those of `previous`: a change never
    /// moves an object), known without decoding it.
    public private(set) var key: ObjectKey

    /// The object exactly as `object.json.serialized()` writes it, when the store has those bytes
    /// at hand, so a watch can send them without encoding the object again. Setting `object`
    /// clears it, so these bytes never disagree with the object.
    public private(set) var serializedObject: ByteBuffer?

    private var after: Deferred<Resource>
    private var before: Deferred<Resource?>

    public var object: Resource {
        get { after.value }
        set {
            after = .value(newValue)
            key = newValue.key
            serializedObject = nil
        }
    }

    /// The state before this change (nil for ADDED), so watches with selectors can tell
    /// objects that moved in or out of the selection. Read back from a store's log it may hold
    /// only what selectors read (identity, labels, selectable fields).
    public var previous: Resource? {
        get { before.value }
        set { before = .value(newValue) }
    }

    public init(type: StoreEventType, object: Resource, previous: Resource?, resourceVersion: Int64) {
        self.init(type: type, object: object, previous: previous, resourceVersion: resourceVersion, serializedObject: nil)
    }

    /// An event with both states at hand; `serializedObject` must be `object.json.serialized()`.
    init(type: StoreEventType, object: Resource, previous: Resource?, resourceVersion: Int64, serializedObject: ByteBuffer?) {
        self.type = type
        self.resourceVersion = resourceVersion
        self.key = object.key
        self.serializedObject = serializedObject
        self.after = .value(object)
        self.before = .value(previous)
    }

    /// An event whose states are decoded only if someone asks for them, each at most once.
    /// `serializedObject` must be what `object()` decodes, serialized.
    init(
        type: StoreEventType, key: ObjectKey, resourceVersion: Int64, serializedObject: ByteBuffer?,
        object: @escaping @Sendable () -> Resource, previous: @escaping @Sendable () -> Resource?
    ) {
        self.type = type
        self.resourceVersion = resourceVersion
        self.key = key
        self.serializedObject = serializedObject
        self.after = .deferred(object)
        self.before = .deferred(previous)
    }
}
