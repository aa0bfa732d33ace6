import HeraldAPI
import Testing

@testable import Store

@Suite struct RecentObjectsTests {
    func object(_ name: String, rv: Int64) -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "ns", name: name)
        r.resourceVersion = rv
        return r
    }

    func written(_ r: Resource, _ type: StoreEventType = .modified) -> StoreEvent {
        StoreEvent(type: type, object: r, previous: nil, resourceVersion: r.resourceVersion)
    }

    @Test func servesOnlyTheWrittenResourceVersion() {
        let recent = RecentObjects()
        let a = object("a", rv: 5)
        recent.remember([written(a)])
        #expect(recent.object(a.key, at: 5) == a)
        // Someone else wrote it since: the stored row is newer than what this process remembers.
        #expect(recent.object(a.key, at: 6) == nil)
        #expect(recent.object(object("b", rv: 5).key, at: 5) == nil)
        let newer = object("a", rv: 9)
        recent.remember([written(newer)])
        #expect(recent.object(a.key, at: 5) == nil)
        #expect(recent.object(a.key, at: 9) == newer)
        #expect(recent.latest(a.key) == newer)
        #expect(recent.latest(object("b", rv: 5).key) == nil)
    }

    @Test func forgetsDeletedObjects() {
        let recent = RecentObjects()
        let a = object("a", rv: 5)
        recent.remember([written(a, .added)])
        recent.remember([written(object("a", rv: 6), .deleted)])
        #expect(recent.object(a.key, at: 5) == nil)
        #expect(recent.object(a.key, at: 6) == nil)
    }

    @Test func keepsAtMostItsCapacityForgettingTheOldest() {
        let recent = RecentObjects(capacity: 3)
        for i in 1...10 { recent.remember([written(object("o\(i)", rv: Int64(i)))]) }
        #expect(recent.object(object("o7", rv: 7).key, at: 7) == nil)
        for i in 8...10 { #expect(recent.object(object("o\(i)", rv: Int64(i)).key, at: Int64(i)) != nil) }
    }
}
