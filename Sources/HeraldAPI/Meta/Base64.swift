import Foundation

public enum Base64 {
    public static func decode(_ s: String) -> [UInt8]? {
        Data(base64Encoded: s).map { Array($0) }
    }

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }
}
