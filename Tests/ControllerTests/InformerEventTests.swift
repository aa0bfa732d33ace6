import HeraldAPI
import Logging
import Synchronization
import Testing

@testable import Controller
@testable import Store

@Suite struct InformerEventTests {
    final class Decodes: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    /// An event as a store reads it from its log, counting how often its object is decoded.
    static func lazyEvent(_ object: Resource, rv: Int64, decodes: Decodes) -> StoreEvent {
        StoreEvent(
            type: .added, key: object.key, resourceVersion: rv, serializedObject: nil,
            object: {
                decodes.add()
                return object
            },
            previous: { nil })
    }

    @Test func eventsOfOtherKindsAreNeverDecoded() throws {
        let t = try TestStore()
        defer { t.remove() }
        let informer = Informer(store: t.store, kind: "Channel", resyncPeriod: 0, logger: Logger(label: "test"))
        let decodes = Decodes()
        let other = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: "default", name: "n")
        informer.apply(Self.lazyEvent(other, rv: 5, decodes: decodes))
        #expect(decodes.value == 0)
        #expect(informer.seenResourceVersion == 5)
        #expect(informer.count == 0)
        let channel = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Channel", namespace: "default", name: "c")
        informer.apply(Self.lazyEvent(channel, rv: 6, decodes: decodes))
        #expect(decodes.value == 1)
        #expect(informer.get(channel.key) == channel)
        #expect(informer.seenResourceVersion == 6)
    }
}
