extension JSON {
    /// Serializes compactly with object keys sorted, so equal values always produce equal bytes
    /// (dry runs are deterministic, and diffs and digests are stable).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public func serializedString() -> String {
        String(decoding: serialized(), as: UTF8.self)
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite, d.rounded() == d, abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)
            } else if d.isFinite {
                out.append(contentsOf: String(d).utf8)
            } else {
                out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
            }
        case .string(let s): JSON.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string literal, quotes included.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        escapeString(s, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// The inside of a JSON string literal, without the quotes: quotes, backslashes and control
    /// characters escaped. Also what the workers use for variables inside webhook bodies.
    public static func escapeString(_ s: String, into out: inout [UInt8]) {
        // Most strings need no escape: copy them whole.
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { bytes in
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true { return }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(HexDigits.lowercase(b >> 4))
                out.append(HexDigits.lowercase(b))
            default: out.append(b)
            }
        }
    }

    /// Indented output for people (heraldctl `-o json`).
    public func prettyString(indent: Int = 0) -> String {
        var out = ""
        writePretty(into: &out, indent: indent)
        return out
    }

    func writePretty(into out: inout String, indent: Int) {
        let pad = String(repeating: "    ", count: indent + 1)
        let closePad = String(repeating: "    ", count: indent)
        switch self {
        case .array(let a) where !a.isEmpty:
            out += "[\n"
            for (i, v) in a.enumerated() {
                out += pad
                v.writePretty(into: &out, indent: indent + 1)
                out += i == a.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .object(let o) where !o.isEmpty:
            out += "{\n"
            for (i, (k, v)) in o.enumerated() {
                out += pad + JSON.string(k).serializedString() + ": "
                v.writePretty(into: &out, indent: indent + 1)
                out += i == o.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        default:
            out += serializedString()
        }
    }
}
