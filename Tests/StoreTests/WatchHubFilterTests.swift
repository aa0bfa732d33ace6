import HeraldAPI
import Testing

@testable import Store

@Suite("WatchHub filters, prefixes and endings")
struct WatchHubFilterTests {
    static func event(_ rv: Int64, namespace: String = "a") -> StoreEvent {
        var object = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: namespace, name: "n\(rv)")
        object.resourceVersion = rv
        return StoreEvent(type: .added, object: object, previous: nil, resourceVersion: rv)
    }

    static let onlyA: WatchHub.Filter = { $0.key.namespace == "a" ? $0 : nil }

    static func take(_ n: Int, from stream: AsyncThrowingStream<StoreEvent, any Error>) async throws -> [Int64] {
        var seen: [Int64] = []
        for try await e in stream {
            seen.append(e.resourceVersion)
            if seen.count == n { break }
        }
        return seen
    }

    @Test func prefixFirstThenWindowAndLiveEventsThroughTheFilter() async throws {
        let hub = WatchHub(startingAt: 0)
        hub.publish([Self.event(1), Self.event(2, namespace: "b"), Self.event(3)])
        let listed = Self.event(100)
        let stream = try hub.subscribe(after: 1, prefix: [listed], filter: Self.onlyA)
        hub.publish([Self.event(4, namespace: "b"), Self.event(5)])
        #expect(try await Self.take(3, from: stream) == [100, 3, 5])
    }

    @Test func aFilterMayRewriteAnEvent() async throws {
        let hub = WatchHub(startingAt: 0)
        let stream = try hub.subscribe(
            after: 0, prefix: [],
            filter: { e in
                var moved = e
                moved.type = .deleted
                return moved
            })
        hub.publish([Self.event(1)])
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next()?.type == .deleted)
    }

    /// A watch from a resourceVersion the hub has not published yet (another server handed it
    /// out) starts after it, not at the hub's current point.
    @Test func aWatchFromAheadSkipsEventsUpToItsPoint() async throws {
        let hub = WatchHub(startingAt: 0)
        hub.publish([Self.event(1)])
        let stream = try hub.subscribe(after: 3, prefix: [], filter: nil)
        hub.publish([Self.event(2), Self.event(3), Self.event(4)])
        #expect(try await Self.take(1, from: stream) == [4])
    }

    /// A watcher whose filter keeps nothing never fails a yield; it is still dropped once it leaves.
    @Test(.timeLimit(.minutes(1)))
    func aWatcherThatLeftIsDroppedEvenWhenItsFilterKeepsNothing() async throws {
        let hub = WatchHub(startingAt: 0)
        let reader = Task {
            let stream = try hub.subscribe(after: 0, prefix: [], filter: { _ in nil })
            for try await _ in stream {}
        }
        while hub.watcherCount == 0 { await Task.yield() }
        reader.cancel()
        _ = await reader.result
        hub.publish([Self.event(1)])
        #expect(hub.watcherCount == 0)
    }

    @Test func failAllEndsEveryWatchWithTheError() async throws {
        let hub = WatchHub(startingAt: 0)
        let stream = try hub.subscribe(after: 0, prefix: [], filter: Self.onlyA)
        hub.failAll(StoreError.expired(requested: 0, oldest: 5))
        await #expect(throws: StoreError.self) {
            for try await _ in stream {}
        }
        #expect(hub.watcherCount == 0)
    }
}
