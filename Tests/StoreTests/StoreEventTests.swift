import HeraldAPI
import NIOCore
import Synchronization
import Testing

@testable import Store

@Suite("Store events decoded only when read")
struct StoreEventTests {
    static func notification(_ name: String, namespace: String = "default", labels: [String: String] = [:]) -> Resource {
        var object = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: namespace, name: name)
        object.resourceVersion = 7
        object.labels = labels
        object.spec = ["message": ["subject": "héllo \"quoted\"\n\t\u{1}", "ratio": .double(0.25)], "count": 3, "big": .double(1e20)]
        return object
    }

    /// An event built like the store builds one from its log, counting decodes of each state.
    static func lazyEvent(
        _ object: Resource, previous: Resource?, type: StoreEventType = .modified, decodes: Counter
    ) -> StoreEvent {
        StoreEvent(
            type: type, key: object.key, resourceVersion: object.resourceVersion,
            serializedObject: ByteBuffer(bytes: object.json.serialized()),
            object: {
                decodes.add()
                return object
            },
            previous: {
                decodes.add()
                return previous
            })
    }

    static func filter(kind: String?, namespace: String?, labels: String? = nil) throws -> WatchFilter {
        var options = ListOptions()
        if let labels { options.labelSelector = try LabelSelector(parsing: labels) }
        return WatchFilter(kinds: .herald, kind: kind, namespace: namespace, options: options)
    }

    @Test func filteringByKindAndNamespaceNeverDecodes() throws {
        let decodes = Counter()
        let event = Self.lazyEvent(Self.notification("a"), previous: Self.notification("a"), decodes: decodes)
        #expect(try Self.filter(kind: "Notification", namespace: "default").apply(event) != nil)
        #expect(try Self.filter(kind: "Notification", namespace: nil).apply(event) != nil)
        #expect(try Self.filter(kind: nil, namespace: nil).apply(event) != nil)
        #expect(try Self.filter(kind: "Delivery", namespace: "default").apply(event) == nil)
        #expect(try Self.filter(kind: "Notification", namespace: "other").apply(event) == nil)
        // Out of kind or namespace: refused before selectors look at the object.
        #expect(try Self.filter(kind: "Delivery", namespace: nil, labels: "app=x").apply(event) == nil)
        let passed = try #require(try Self.filter(kind: "Notification", namespace: "default").apply(event))
        #expect(passed.key == ObjectKey(kind: "Notification", namespace: "default", name: "a"))
        #expect(passed.serializedObject == event.serializedObject)
        #expect(decodes.value == 0)
    }

    @Test func selectorsDecodeEachStateOnceAndKeepTheBytes() throws {
        let decodes = Counter()
        let before = Self.notification("a", labels: ["app": "x"])
        let after = Self.notification("a", labels: ["app": "y"])
        let event = Self.lazyEvent(after, previous: before, decodes: decodes)
        let leaving = try #require(try Self.filter(kind: "Notification", namespace: nil, labels: "app=x").apply(event))
        #expect(leaving.type == .deleted)
        #expect(leaving.serializedObject == event.serializedObject)
        let entering = try #require(try Self.filter(kind: "Notification", namespace: nil, labels: "app=y").apply(event))
        #expect(entering.type == .added)
        #expect(entering.previous == nil)
        #expect(entering.object == after)
        #expect(entering.serializedObject == event.serializedObject)
        #expect(try Self.filter(kind: nil, namespace: nil, labels: "app=z").apply(event) == nil)
        // Copies share the decoded states.
        _ = event.object
        _ = event.previous
        #expect(decodes.value == 2)
    }

    @Test func concurrentReadersDecodeOnce() async {
        let decodes = Counter()
        let event = Self.lazyEvent(Self.notification("a"), previous: nil, decodes: decodes)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { _ = event.object.name } }
        }
        #expect(decodes.value == 1)
    }

    @Test func settingTheObjectDropsTheStoredBytes() {
        var event = StoreEvent(
            type: .added, object: Self.notification("a"), previous: nil, resourceVersion: 7,
            serializedObject: ByteBuffer(bytes: Self.notification("a").json.serialized()))
        event.object = Self.notification("b", namespace: "other")
        #expect(event.serializedObject == nil)
        #expect(event.key == ObjectKey(kind: "Notification", namespace: "other", name: "b"))
    }

    /// A log row whose body does not parse: everything a watch without selectors uses is there,
    /// and nothing fails until the object is read.
    @Test func logRowIsNotParsedUntilRead() throws {
        let key = ObjectKey(kind: "Notification", namespace: "default", name: "a")
        let corrupt = ByteBuffer(string: #"{"kind":"Notification",oops}"#)
        let event = try PostgresRows.event(rv: 9, type: "MODIFIED", key: key, body: corrupt, previous: corrupt)
        #expect(event.key == key)
        #expect(event.serializedObject == corrupt)
        #expect(try Self.filter(kind: "Notification", namespace: "default").apply(event)?.resourceVersion == 9)
        // Read anyway, it is the change's identity, and a corrupt previous state reads as absent.
        #expect(event.object.key == key)
        #expect(event.object.resourceVersion == 9)
        #expect(event.previous == nil)
    }

    @Test func logRowThatIsNotAnObjectIsRefused() {
        let key = ObjectKey(kind: "Notification", namespace: "default", name: "a")
        #expect(throws: StoreError.self) {
            _ = try PostgresRows.event(rv: 9, type: "ADDED", key: key, body: ByteBuffer(string: #"{"kind":"#), previous: nil)
        }
    }

    @Test func logRowDecodesToWhatWasStored() throws {
        let object = Self.notification("a")
        let before = Self.notification("a", labels: ["app": "x"])
        let event = try PostgresRows.event(
            rv: 7, type: "MODIFIED", key: object.key, body: PostgresRows.body(object), previous: PostgresRows.body(before))
        #expect(event.object == object)
        #expect(event.previous == before)
        // What a watch sends as it is must be what it would have encoded.
        #expect(event.serializedObject == ByteBuffer(bytes: event.object.json.serialized()))
    }

    /// A row this process wrote comes back with its own copy of the object: the body is not
    /// parsed (told apart here by a body that says less than the copy).
    @Test func logRowThisProcessHoldsIsNotParsedAgain() throws {
        let object = Self.notification("a")
        let body = ByteBuffer(string: #"{"kind":"Notification","metadata":{"name":"a"}}"#)
        let event = try PostgresRows.event(
            rv: 7, type: "MODIFIED", key: object.key, body: body, previous: PostgresRows.sameSelectorState, held: object)
        #expect(event.object == object)
        #expect(event.previous == object)
        #expect(event.serializedObject == body)
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
