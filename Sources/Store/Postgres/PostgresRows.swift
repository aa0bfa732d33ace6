import HeraldAPI
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
        JSON.object(object.labels.mapValues(JSON.string)).serializedString()
    }

    /// The selectable field values the kind defines (absent when the accessor gives nil), exactly
    /// as the in-memory field selector reads them, so SQL and `FieldSelector.matches` agree.
    static func fieldsJSON(_ object: Resource, kinds: KindRegistry) -> String {
        guard let definition = kinds.kind(object.kind) else { return "{}" }
        var fields: [String: JSON] = [:]
        for (name, read) in definition.selectableFields {
            if let value = read(object) { fields[name] = .string(value) }
        }
        return JSON.object(fields).serializedString()
    }

    static func event(rv: Int64, type: String, body: ByteBuffer, previous: ByteBuffer?) throws -> StoreEvent {
        guard let eventType = StoreEventType(rawValue: type) else {
            throw StoreError.unavailable("log entry \(rv) has an unknown event type \"\(type)\"")
        }
        let object = try decode(body)
        guard let previous else { return StoreEvent(type: eventType, object: object, previous: nil, resourceVersion: rv) }
        // `object` decoded, so the row is sound; a corrupt `previous` alone reads as absent.
        return StoreEvent(type: eventType, object: object, resourceVersion: rv) { try? decode(previous) }
    }
}
