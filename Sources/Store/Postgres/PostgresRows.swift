import HeraldAPI
import Logging
import PostgresNIO

/// How objects map to columns. The body is the exact serialized JSON (bytea), so what comes back
/// is byte for byte what was written; `labels` and `fields` are jsonb copies made only for
/// indexing selectors.
enum PostgresRows {
    static func body(_ object: Resource) -> ByteBuffer {
        ByteBuffer(bytes: object.json.serialized())
    }

    static func decode(_ body: ByteBuffer) throws -> Resource {
        do {
            return Resource(try JSON.parse(body.readableBytesView))
        } catch {
            throw StoreError.unavailable("a stored object is corrupt: \(error)")
        }
    }

    static func labelsJSON(_ object: Resource) -> String {
        // Straight from the stored members: `labels` would build a dictionary first.
        guard case .object(let labels)? = object.metadata["labels"] else { return "{}" }
        return stringMap(labels.lazy.compactMap { key, value in value.stringValue.map { (key: key, value: $0) } })
    }

    /// The selectable field values the kind defines (absent when the accessor gives nil), exactly
    /// as the in-memory field selector reads them, so SQL and `FieldSelector.matches` agree.
    static func fieldsJSON(_ object: Resource, kinds: KindRegistry) -> String {
        guard let fields = kinds.selectableFields(of: object.kind) else { return "{}" }
        return stringMap(fields.lazy.compactMap { field in field.read(object).map { (key: field.name, value: $0) } })
    }

    /// A JSON object of strings, written directly: these go to jsonb columns on every write, and
    /// building a JSON tree first cost as much again. Key order does not matter to jsonb.
    static func stringMap(_ pairs: some Sequence<(key: String, value: String)>) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(16 + 32 * pairs.underestimatedCount)
        for (key, value) in pairs {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            JSON.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSON.writeString(value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Stands in the log for a change's previous state when selectors would read the same from it
    /// as from the object itself (same labels, same selectable fields): most writes are status
    /// writes that move neither, and building the partial object was a tenth of a writer's work.
    static let sameSelectorState = ByteBuffer(string: "=")

    /// Whether every selector reads `before` as it reads `after`.
    static func selectorsReadAlike(_ before: Resource, _ after: Resource, kinds: KindRegistry) -> Bool {
        guard before.metadata["labels"] == after.metadata["labels"] else { return false }
        guard let fields = kinds.selectableFields(of: after.kind) else { return false }
        return fields.allSatisfy { $0.read(before) == $0.read(after) }
    }

    /// What selectors read of an object, as a partial object: kind, name, namespace, labels and
    /// each selectable field at its path. The log keeps this as a change's previous state, which
    /// only selectors read, instead of a second copy of the whole object. A kind whose field is
    /// not read from its own path keeps the whole object, so selectors never decide differently.
    static func selectorState(_ object: Resource, kinds: KindRegistry) -> ByteBuffer {
        // Built as a tree and wrapped once: each typed setter on a Resource rewrites its JSON.
        var metadata: JSONObject = [
            "name": .string(object.name), "resourceVersion": .string(String(object.resourceVersion)),
        ]
        if !object.namespace.isEmpty { metadata["namespace"] = .string(object.namespace) }
        // As stored: decoding the labels only to encode them again cost as much as the rest.
        if case .object(let labels)? = object.metadata["labels"], !labels.isEmpty { metadata["labels"] = .object(labels) }
        var json: JSON = [
            "apiVersion": .string(object.apiVersion), "kind": .string(object.kind), "metadata": .object(metadata),
        ]
        if let fields = kinds.selectableFields(of: object.kind) {
            // Each field is read once from the object: the check below compares with these.
            var values: [String?] = []
            values.reserveCapacity(fields.count)
            for field in fields {
                let value = field.read(object)
                values.append(value)
                if let value { json.set(path: field.path, to: .string(value)) }
            }
            let partial = Resource(json)
            guard zip(fields, values).allSatisfy({ $0.read(partial) == $1 }) else { return body(object) }
            return body(partial)
        }
        return body(Resource(json))
    }

    /// A log row as an event that decodes nothing until asked: the row's key columns serve
    /// routing and filtering, and the body is sent as it is by watches without selectors.
    /// With `held`, this process's copy of the object at `rv`, the body is not parsed for it.
    static func event(
        rv: Int64, type: String, key: ObjectKey, body: ByteBuffer, previous: ByteBuffer?, held: Resource? = nil
    ) throws -> StoreEvent {
        guard let eventType = StoreEventType(rawValue: type) else {
            throw StoreError.unavailable("log entry \(rv) has an unknown event type \"\(type)\"")
        }
        // Deferring means a corrupt body is noticed only by whoever decodes it; one that is not
        // even an object is refused here, as before, so it is never sent to a watcher as it is.
        guard body.readableBytesView.first == UInt8(ascii: "{"), body.readableBytesView.last == UInt8(ascii: "}") else {
            _ = try decode(body)
            throw StoreError.unavailable("log entry \(rv) has a corrupt body")
        }
        return StoreEvent(
            type: eventType, key: key, resourceVersion: rv, serializedObject: body,
            object: { held ?? (try? decode(body)) ?? placeholder(key, rv: rv) },
            previous: {
                guard let previous else { return nil }
                if previous == sameSelectorState, let held { return held }
                return try? decode(previous == sameSelectorState ? body : previous)
            })
    }

    /// What a body that turns out corrupt on first use reads as: the change's identity, so the
    /// reader still sees which object changed (a getter cannot throw).
    static func placeholder(_ key: ObjectKey, rv: Int64) -> Resource {
        var object = Resource(.emptyObject)
        object.kind = key.kind
        object.namespace = key.namespace
        object.name = key.name
        object.resourceVersion = rv
        return object
    }

    /// One page of the log after `from` (and through `end`, when given), in rv order, decoded lazily.
    static func logPage(
        _ c: PostgresConnection, after from: Int64, through end: Int64? = nil, logger: Logger,
        held: (ObjectKey, Int64) -> Resource? = { _, _ in nil }
    ) async throws -> [StoreEvent] {
        let statement = PostgresLogPageStatement(after: from, through: end ?? .max, limit: Int64(PostgresLogFeed.pageSize))
        var events: [StoreEvent] = []
        for try await row in try await c.execute(statement, logger: logger) {
            events.append(
                try event(
                    rv: row.rv, type: row.type, key: row.key, body: row.body, previous: row.previous, held: held(row.key, row.rv)))
        }
        return events
    }
}

/// A row's cells, decoded one by one in column order. postgres-nio's tuple `decode` goes through
/// a parameter pack, which is not specialized: it looked up type metadata for every cell, about
/// a tenth of an API server's samples while it read the log.
struct PostgresCellReader {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    mutating func next<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let cell = cells.next() else {
            throw StoreError.unavailable("PostgreSQL sent fewer columns than the query selects")
        }
        return try cell.decode(T.self)
    }
}
