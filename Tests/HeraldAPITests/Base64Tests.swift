import Foundation
import HeraldAPI
import Testing

@Suite struct Base64Tests {
    /// Every length up to a few blocks, both paddings and none, agrees with Foundation's encoder.
    @Test func encodesAsFoundationDoes() {
        var generator = SystemRandomNumberGenerator()
        for count in 0...70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString()
            #expect(Base64.encode(bytes) == expected, "\(bytes)")
            #expect(Base64.encode(bytes[...], prefix: "v1,") == "v1," + expected)
            #expect(Base64.decode(expected) == bytes)
        }
        #expect(Base64.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw==")
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
    }
}
