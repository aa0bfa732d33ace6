import Foundation
import HeraldAPI
import Testing

@Suite struct ObjectUIDTests {
    @Test func lowercaseVersion4UUIDsThatDoNotRepeat() {
        // More than one page of random bytes, so refills are covered.
        let uids = (0..<1000).map { _ in ObjectUID.make() }
        #expect(Set(uids).count == uids.count)
        for uid in uids {
            #expect(uid.count == 36)
            #expect(uid == uid.lowercased())
            let parsed = UUID(uuidString: uid)
            #expect(parsed != nil, "\(uid)")
            let bytes = parsed.map { withUnsafeBytes(of: $0.uuid, Array.init) } ?? []
            #expect(bytes.count == 16 && bytes[6] >> 4 == 4 && bytes[8] >> 6 == 0b10, "\(uid)")
        }
    }
}
