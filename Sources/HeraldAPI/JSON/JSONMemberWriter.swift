/// Writes one JSON object straight to bytes, member by member, for the wire documents every
/// delivery sends (jobs, results): building a `JSON` tree first only to serialize it cost an
/// object per level and a sort per object, per delivery. Callers give the members in sorted key
/// order, so the bytes are exactly what `JSON.serialized()` writes for the same document; each
/// caller has a test comparing the two.
struct JSONMemberWriter {
    private var bytes: [UInt8]
    private var first = true

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The finished document.
    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `key` must be plain ASCII needing no escape (a field name).
    private mutating func key(_ key: StaticString) {
        if first {
            first = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func member(_ name: StaticString, _ value: JSON) {
        key(name)
        value.write(into: &bytes)
    }

    mutating func member(_ name: StaticString, string value: String) {
        key(name)
        JSON.writeString(value, into: &bytes)
    }

    mutating func member(_ name: StaticString, int value: Int) {
        key(name)
        JSON.int(Int64(value)).write(into: &bytes)
    }

    mutating func member(_ name: StaticString, double value: Double) {
        key(name)
        JSON.double(value).write(into: &bytes)
    }

    /// A nested object whose members `body` writes, in sorted key order too.
    mutating func object(_ name: StaticString, _ body: (inout JSONMemberWriter) -> Void) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        // The outer object has a member now (this one): the next needs a comma.
        first = false
        bytes.append(UInt8(ascii: "}"))
    }
}
