internal import CRabbitMQ

/// Copies out of librabbitmq's frame memory, which is recycled once the frame is handled.
enum AMQPDecoding {
    static func string(_ bytes: amqp_bytes_t) -> String {
        guard let base = bytes.bytes, bytes.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }

    static func byteArray(_ bytes: amqp_bytes_t) -> [UInt8] {
        guard let base = bytes.bytes, bytes.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: bytes.len))
    }

    /// String and numeric values; arrays and nested tables (x-death, CC) are skipped because the
    /// public header type is String → String.
    static func headers(_ table: amqp_table_t) -> [String: String] {
        guard table.num_entries > 0, let entries = table.entries else { return [:] }
        var result: [String: String] = [:]
        result.reserveCapacity(Int(table.num_entries))
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            if let value = scalar(entry.value) { result[string(entry.key)] = value }
        }
        return result
    }

    private static func scalar(_ field: amqp_field_value_t) -> String? {
        switch field.kind {
        case AMQPFieldKind.utf8, AMQPFieldKind.bytes: string(field.value.bytes)
        case AMQPFieldKind.boolean: field.value.boolean != 0 ? "true" : "false"
        case AMQPFieldKind.int8: String(field.value.i8)
        case AMQPFieldKind.uint8: String(field.value.u8)
        case AMQPFieldKind.int16: String(field.value.i16)
        case AMQPFieldKind.uint16: String(field.value.u16)
        case AMQPFieldKind.int32: String(field.value.i32)
        case AMQPFieldKind.uint32: String(field.value.u32)
        case AMQPFieldKind.int64: String(field.value.i64)
        case AMQPFieldKind.uint64, AMQPFieldKind.timestamp: String(field.value.u64)
        default: nil
        }
    }

    /// The parts of basic properties Herald uses.
    struct Properties {
        var headers: [String: String] = [:]
        var priority: UInt8 = 0
        var messageID: String?
        var correlationID: String?
    }

    static func properties(_ raw: UnsafeMutableRawPointer?) -> Properties {
        guard let raw else { return Properties() }
        let decoded = raw.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
        var properties = Properties()
        if decoded._flags & AMQPPropertyFlag.headers != 0 { properties.headers = headers(decoded.headers) }
        if decoded._flags & AMQPPropertyFlag.priority != 0 { properties.priority = decoded.priority }
        if decoded._flags & AMQPPropertyFlag.messageID != 0 { properties.messageID = string(decoded.message_id) }
        if decoded._flags & AMQPPropertyFlag.correlationID != 0 {
            properties.correlationID = string(decoded.correlation_id)
        }
        return properties
    }

    /// The decoded method struct of a method frame.
    static func method<T>(_ frame: amqp_frame_t, as type: T.Type) -> T? {
        frame.payload.method.decoded?.assumingMemoryBound(to: T.self).pointee
    }
}
