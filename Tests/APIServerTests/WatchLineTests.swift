import HeraldAPI
import NIOCore
import Testing

@testable import APIServer
@testable import Store

@Suite struct WatchLineTests {
    static var object: Resource {
        var object = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: "default", name: "n")
        object.resourceVersion = 12
        object.labels = ["app": "demo", "zone": "é"]
        object.spec = [
            "message": ["subject": "quotes \" and \\ and\nnew\tlines \u{1} ✓", "text": ""],
            "numbers": [1, -2, .double(0.1), .double(1e20), .double(-3.5), .int(Int64.max)],
            "flags": [true, false, .null], "empty": [:], "none": [],
        ]
        return object
    }

    static func spliced(_ event: StoreEvent) throws -> [UInt8] {
        #expect(event.serializedObject != nil, "the event must take the splicing path")
        return Array(WatchLine.line(event).readableBytesView)
    }

    @Test(arguments: [StoreEventType.added, .modified, .deleted])
    func splicedLinesAreTheEncodedLines(type: StoreEventType) throws {
        let object = Self.object
        let stored = PostgresRows.body(object)
        let written = StoreEvent(type: type, object: object, previous: nil, resourceVersion: 12, serializedObject: stored)
        let read = try PostgresRows.event(rv: 12, type: type.rawValue, key: object.key, body: stored, previous: nil)
        let expected = WatchLine.encode(type.rawValue, object.json)
        #expect(try Self.spliced(written) == expected)
        #expect(try Self.spliced(read) == expected)
        // The line a decoded log row encodes to, as the server sent before.
        #expect(try Self.spliced(read) == WatchLine.encode(type.rawValue, read.object.json))
        #expect(
            Array(WatchLine.line(StoreEvent(type: type, object: object, previous: nil, resourceVersion: 12)).readableBytesView) == expected)
    }

    /// Through the server (SQLite keeps the bytes it stored with the event): each watch line is
    /// the object as GET returns it, wrapped as the encoder would.
    @Test func watchLinesCarryTheStoredBytes() async throws {
        try await TestAPI().run { client in
            let created = try await client.send(.post, notifications, notificationJSON("w", subject: "ünïcode \\\" \\n"))
            let rv = created.json?["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            try await client.send(
                .patch, "\(notifications)/w", #"{"metadata":{"labels":{"n":"1"}}}"#, contentType: "application/merge-patch+json")
            let current = try await client.send(.get, "\(notifications)/w")
            let watch = try await client.send(.get, "\(notifications)?watch=true&resourceVersion=\(rv)&timeoutSeconds=1")
            let body = current.body.dropLast()  // its newline
            let expected = Array(#"{"object":"#.utf8) + body + Array(#","type":"MODIFIED"}"#.utf8) + [0x0A]
            #expect(watch.body == expected)
            let object = try #require(current.json)
            #expect(watch.body == WatchLine.encode("MODIFIED", object))
        }
    }
}
