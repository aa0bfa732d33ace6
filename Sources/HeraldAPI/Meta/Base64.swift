import Foundation

public enum Base64 {
    public static func decode(_ s: String) -> [UInt8]? {
        Data(base64Encoded: s).map { Array($0) }
    }

    /// Standard base64 with padding, after `prefix`, written straight into the string: every
    /// signed webhook encodes its signature (through `Data` it took three allocations).
    public static func encode(_ bytes: some Collection<UInt8>, prefix: StaticString = "") -> String {
        let count = bytes.count
        let encoded = (count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: prefix.utf8CodeUnitCount + encoded) { out in
            var i = 0
            for p in UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount) {
                out[i] = p
                i += 1
            }
            var index = bytes.startIndex
            var remaining = count
            while remaining > 0 {
                let b0 = UInt32(bytes[index])
                index = bytes.index(after: index)
                var b1: UInt32 = 0
                var b2: UInt32 = 0
                if remaining > 1 {
                    b1 = UInt32(bytes[index])
                    index = bytes.index(after: index)
                }
                if remaining > 2 {
                    b2 = UInt32(bytes[index])
                    index = bytes.index(after: index)
                }
                let group = b0 << 16 | b1 << 8 | b2
                out[i] = alphabet[Int(group >> 18 & 63)]
                out[i + 1] = alphabet[Int(group >> 12 & 63)]
                out[i + 2] = remaining > 1 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "=")
                out[i + 3] = remaining > 2 ? alphabet[Int(group & 63)] : UInt8(ascii: "=")
                i += 4
                remaining -= min(3, remaining)
            }
            return i
        }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}
