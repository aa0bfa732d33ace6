internal import CRabbitMQ

/// Memory for the C structures of one librabbitmq call (strings, tables, arrays), freed together
/// afterwards. librabbitmq only reads these during the call, so a bump allocator that is reset
/// between calls avoids a malloc per field. Confined to one connection thread.
final class CArena {
    private static let chunkSize = 16 * 1024
    private var chunks: [(pointer: UnsafeMutableRawPointer, size: Int)] = []
    private var chunkIndex = 0
    private var offset = 0

    deinit {
        for chunk in chunks { chunk.pointer.deallocate() }
    }

    /// Makes all memory reusable. Anything handed out before must no longer be used.
    func reset() {
        chunkIndex = 0
        offset = 0
    }

    func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        while chunkIndex < chunks.count {
            let chunk = chunks[chunkIndex]
            let start = (offset + alignment - 1) & ~(alignment - 1)
            if start + byteCount <= chunk.size {
                offset = start + byteCount
                return chunk.pointer + start
            }
            chunkIndex += 1
            offset = 0
        }
        let size = max(Self.chunkSize, byteCount + alignment)
        chunks.append((UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16), size))
        chunkIndex = chunks.count - 1
        offset = byteCount
        return chunks[chunkIndex].pointer
    }

    /// NUL-terminated copy, usable both as amqp_bytes_t (length excludes the NUL) and as a C string.
    func bytes(_ string: String) -> amqp_bytes_t {
        let (pointer, length) = copyTerminated(string)
        return amqp_bytes_t(len: length, bytes: pointer)
    }

    func cString(_ string: String) -> UnsafePointer<CChar> {
        let (pointer, length) = copyTerminated(string)
        return UnsafePointer(pointer.bindMemory(to: CChar.self, capacity: length + 1))
    }

    private func copyTerminated(_ string: String) -> (UnsafeMutableRawPointer, Int) {
        var string = string
        return string.withUTF8 { utf8 in
            let pointer = allocate(byteCount: utf8.count + 1, alignment: 1)
            if let base = utf8.baseAddress { pointer.copyMemory(from: base, byteCount: utf8.count) }
            pointer.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
            return (pointer, utf8.count)
        }
    }

    func table(_ entries: [(key: String, value: AMQPFieldValue)]) -> amqp_table_t {
        guard !entries.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let pointer = allocate(
            byteCount: MemoryLayout<amqp_table_entry_t>.stride * entries.count,
            alignment: MemoryLayout<amqp_table_entry_t>.alignment
        ).bindMemory(to: amqp_table_entry_t.self, capacity: entries.count)
        for (index, entry) in entries.enumerated() {
            (pointer + index).initialize(to: amqp_table_entry_t(key: bytes(entry.key), value: field(entry.value)))
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: pointer)
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var result = amqp_field_value_t()
        switch value {
        case .string(let string):
            result.kind = AMQPFieldKind.utf8
            result.value.bytes = bytes(string)
        case .int32(let number):
            result.kind = AMQPFieldKind.int32
            result.value.i32 = number
        case .int64(let number):
            result.kind = AMQPFieldKind.int64
            result.value.i64 = number
        case .bool(let flag):
            result.kind = AMQPFieldKind.boolean
            result.value.boolean = flag ? 1 : 0
        case .stringArray(let strings):
            result.kind = AMQPFieldKind.array
            let pointer = allocate(
                byteCount: MemoryLayout<amqp_field_value_t>.stride * max(strings.count, 1),
                alignment: MemoryLayout<amqp_field_value_t>.alignment
            ).bindMemory(to: amqp_field_value_t.self, capacity: max(strings.count, 1))
            for (index, string) in strings.enumerated() {
                (pointer + index).initialize(to: field(.string(string)))
            }
            result.value.array = amqp_array_t(num_entries: Int32(strings.count), entries: pointer)
        }
        return result
    }
}

/// The AMQP table values Herald sends.
enum AMQPFieldValue {
    case string(String)
    case int32(Int32)
    case int64(Int64)
    case bool(Bool)
    case stringArray([String])
}
