import Foundation
import HeraldAPI
import Hummingbird
import NIOCore
import ServiceLifecycle
import Store
import Synchronization

extension ResourceHandler {
    /// Streams watch events as newline-delimited JSON (Tables when asked), with bookmarks and
    /// `timeoutSeconds`; a resume point outside the window gets one ERROR event with a 410 Status.
    func watch(_ call: Call) async throws -> Response {
        var options = try listOptions(call.query)
        options.limit = nil
        options.continueToken = nil
        try checkFieldSelector(options, call.definition)
        let after: Int64?
        switch call.query["resourceVersion"] {
        case nil, "", "0": after = nil
        case let text?:
            guard let rv = Int64(text), rv >= 0 else {
                throw APIError.badRequest("invalid resourceVersion \"\(text)\": it must be a resourceVersion returned by this server")
            }
            after = rv
        }
        var timeout: Double?
        if let t = call.query["timeoutSeconds"], !t.isEmpty {
            guard let seconds = Double(t), seconds >= 0 else { throw APIError.badRequest("timeoutSeconds must be a number") }
            timeout = seconds
        }
        let bookmarks = call.query.bool("allowWatchBookmarks")
        let table = table(call)
        let definition = call.definition
        let events: AsyncThrowingStream<StoreEvent, any Error>
        do {
            events = try await store.watch(kind: definition.kind, namespace: call.path.namespace, options: options, after: after)
        } catch let e as StoreError {
            guard case .expired = e else { throw e }
            let line = WatchLine.error(APIError.from(e, definition: definition, name: nil))
            return Response(status: .ok, headers: [.contentType: Responses.jsonType], body: .init(byteBuffer: ByteBuffer(bytes: line)))
        }
        let lines = WatchLine.stream(
            events: events, definition: definition, table: table, bookmarks: bookmarks, timeout: timeout, store: store)
        return Response(
            status: .ok, headers: [.contentType: Responses.jsonType],
            body: ResponseBody { writer in
                defer { lines.cancel() }
                // One handler for the response rather than `cancelOnGracefulShutdown()`, which
                // runs every chunk through an async-algorithms merge.
                try await withGracefulShutdownHandler {
                    for try await chunk in lines {
                        try await writer.write(chunk)
                    }
                } onGracefulShutdown: {
                    lines.finish()
                }
                try await writer.finish(nil)
            })
    }
}

enum WatchLine {
    static func encode(_ type: String, _ object: JSON) -> [UInt8] {
        var line = JSON.object(["type": .string(type), "object": object]).serialized()
        line.append(0x0A)
        return line
    }

    static func error(_ e: APIError) -> [UInt8] { encode("ERROR", e.status) }

    /// The line `encode(type, object.json)` writes, spliced from the object's stored bytes when
    /// the event has them: no decoding, no encoding. Keys are sorted, so "object" comes first.
    static func line(_ event: StoreEvent) -> ByteBuffer {
        guard let stored = event.serializedObject else {
            return ByteBuffer(bytes: encode(event.type.rawValue, event.object.json))
        }
        let type = event.type.rawValue
        var line = ByteBuffer()
        line.reserveCapacity(stored.readableBytes + type.utf8.count + 22)
        line.writeStaticString(#"{"object":"#)
        line.writeImmutableBuffer(stored)
        line.writeStaticString(#","type":""#)
        line.writeString(type)
        line.writeStaticString("\"}\n")
        return line
    }

    /// Merges store events, periodic bookmarks and the timeout into one buffer of lines.
    static func stream(
        events: AsyncThrowingStream<StoreEvent, any Error>, definition: KindDefinition,
        table: TableBuilder?, bookmarks: Bool, timeout: Double?, store: any Store
    )
        -> WatchLineBuffer
    {
        let lastSent = LastResourceVersion()
        let buffer = WatchLineBuffer()
        let forward = Task {
            var first = true
            do {
                for try await event in events {
                    if let table {
                        let object = table.table(
                            [event.object], resourceVersion: String(event.resourceVersion), continueToken: nil, withColumns: first)
                        first = false
                        buffer.append(ByteBuffer(bytes: encode(event.type.rawValue, object)))
                    } else {
                        buffer.append(line(event))
                    }
                    lastSent.set(event.resourceVersion)
                }
            } catch let e as StoreError {
                buffer.append(ByteBuffer(bytes: error(APIError.from(e, definition: definition, name: nil))))
            } catch {}
            buffer.finish()
        }
        let ticker = Task {
            let started = ContinuousClock.now
            while !Task.isCancelled {
                var wait = 15.0
                if let timeout {
                    let left = timeout - Double((ContinuousClock.now - started).components.seconds)
                    if left <= 0 { break }
                    wait = min(wait, left)
                }
                try? await Task.sleep(for: .seconds(wait))
                if Task.isCancelled { return }
                if let timeout, Double((ContinuousClock.now - started).components.seconds) >= timeout { break }
                // A bookmark never runs ahead of what this watcher was sent, so resuming from it loses nothing.
                if bookmarks, let rv = lastSent.value {
                    let bookmark: JSON = [
                        "kind": .string(definition.kind), "apiVersion": .string(definition.apiVersion),
                        "metadata": ["resourceVersion": .string(String(rv))],
                    ]
                    buffer.append(ByteBuffer(bytes: encode("BOOKMARK", bookmark)))
                }
            }
            buffer.finish()
        }
        buffer.own([forward, ticker])
        return buffer
    }
}

final class LastResourceVersion: Sendable {
    private let storage = Mutex<Int64?>(nil)
    func set(_ rv: Int64) { storage.withLock { $0 = rv } }
    var value: Int64? { storage.withLock { $0 } }
}
