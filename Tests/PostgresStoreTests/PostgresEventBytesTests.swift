import HeraldAPI
import PostgresNIO
import Store
import StoreTesting
import Testing

extension PostgresTests {
    /// Events carry their object's key and stored bytes, whether this server wrote them or read
    /// them from the log, so watches route and send them without decoding.
    @Suite("Event keys and stored bytes on PostgreSQL")
    struct EventBytes {
        static func expectKeyAndBytes(_ events: [StoreEvent]) {
            for event in events {
                #expect(event.key == event.object.key)
                #expect(event.serializedObject == ByteBuffer(bytes: event.object.json.serialized()))
            }
        }

        @Test func ownWritesLogRowsAndReplays() async throws {
            try await PostgresTestEnvironment.withTwoServers { schema, a, b in
                let start = try await a.currentResourceVersion()
                let onA = try await a.watchAll(after: start)
                let onB = try await b.watchAll(after: start)
                var x = try await a.create(StoreContract.notification("x", namespace: "bytes"))
                x.labels = ["step": "2"]
                x = try await a.update(x)
                _ = try await a.delete(x.key)
                let own = try await collect(onA, count: 3)
                let followed = try await collect(onB, count: 3)
                #expect(followed.map(\.type) == [.added, .modified, .deleted])
                Self.expectKeyAndBytes(own)
                Self.expectKeyAndBytes(followed)
                #expect(followed.map(\.serializedObject) == own.map(\.serializedObject))
                #expect(followed[1].previous?.labels == [:])
                try await PostgresTestEnvironment.withStore(schema: schema, label: "c") { c in
                    let replay = try await collect(try await c.watchAll(after: start), count: 3)
                    Self.expectKeyAndBytes(replay)
                    #expect(replay.map(\.serializedObject) == own.map(\.serializedObject))
                }
            }
        }
    }
}
