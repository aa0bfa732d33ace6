/// Lowercase hexadecimal digits as ASCII bytes, for code that writes hex into byte buffers
/// (JSON escapes, uids, delivery names) without going through `String(format:)`.
public enum HexDigits {
    /// The ASCII digit for the low four bits of `value`.
    @inline(__always)
    public static func lowercase(_ value: UInt8) -> UInt8 {
        let nibble = value & 0x0f
        return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
