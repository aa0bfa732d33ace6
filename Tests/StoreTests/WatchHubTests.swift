import HeraldAPI
import Store
import Testing

@Suite("WatchHub fan-out")
struct WatchHubTests {
    static func event(_ rv: Int64) -> StoreEvent {
        var object = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: "default", name: "n\(rv)")
        object.resourceVersion = rv
        return StoreEvent(type: .added, object: object, previous: nil, resourceVersion: rv)
    }

    /// A watcher that never reads overflows its buffer and is ended with `expired`; ending it must
    /// not re-enter the hub (this used to deadlock the publisher on its own lock).
    @Test(.timeLimit(.minutes(1)))
    func slowWatcherIsEndedWithoutBlockingThePublisher() async throws {
        let hub = WatchHub(startingAt: 0, capacity: 100, bufferPerWatcher: 2)
        let slow = try hub.subscribe(after: 0)
        for rv: Int64 in 1...5 { hub.publish([Self.event(rv)]) }
        #expect(hub.lastPublished == 5)
        var seen: [Int64] = []
        await #expect(throws: StoreError.self) {
            for try await e in slow { seen.append(e.resourceVersion) }
        }
        #expect(seen == [1, 2])
        // The hub still serves new watchers from its window.
        var fresh = try hub.subscribe(after: 3).makeAsyncIterator()
        #expect(try await fresh.next()?.resourceVersion == 4)
    }

    /// Watchers cancelled while events are being published: the publisher must never wait on a
    /// cancelling task (lock-order inversion between the hub and the runtime's task lock).
    @Test(.timeLimit(.minutes(1)))
    func cancellingWatchersWhilePublishingNeverDeadlocks() async throws {
        let hub = WatchHub(startingAt: 0, capacity: 10_000, bufferPerWatcher: 100_000)
        let publisher = Task.detached {
            var rv: Int64 = 0
            while !Task.isCancelled {
                rv += 1
                hub.publish([Self.event(rv)])
                if rv % 64 == 0 { await Task.yield() }
            }
        }
        var watched = 0
        for _ in 0..<300 {
            // The publisher may run past the window between the two reads; that watch is expired.
            guard let stream = try? hub.subscribe(after: hub.lastPublished) else { continue }
            watched += 1
            let reader = Task {
                var n = 0
                for try await _ in stream {
                    n += 1
                    if n > 1_000_000 { break }
                }
            }
            try await Task.sleep(for: .microseconds(200))
            reader.cancel()
            _ = await reader.result
        }
        publisher.cancel()
        _ = await publisher.value
        #expect(watched > 100)
        let before = hub.lastPublished
        hub.publish([Self.event(before + 1)])
        #expect(hub.lastPublished == before + 1)
    }
}
