import Foundation
import HeraldAPI
import Testing

/// The body of a `herald.jobs.<type>` message: one job object or a pack of them.
@Suite struct JobMessageTests {
    static func job(_ uid: String) -> DeliveryJob {
        var job = JobProtocolTests.job
        job.deliveryUID = uid
        return job
    }

    @Test func aLoneJobIsTheObjectItself() throws {
        let body = JobMessage.body([Self.job("a").encoded()])
        #expect(body == Self.job("a").encoded())
        // Readable by a worker from before packing, too.
        #expect(try DeliveryJob.decode(body) == Self.job("a"))
        #expect(try JobMessage.decode(body).map { try $0.value.get().deliveryUID } == ["a"])
    }

    @Test func aPackIsAnArrayOfJobsInOrder() throws {
        let body = JobMessage.body(["a", "b", "c"].map { Self.job($0).encoded() })
        #expect(try JSON.parse(body).arrayValue?.count == 3)
        #expect(try JobMessage.decode(body).map { try $0.value.get() } == ["a", "b", "c"].map(Self.job))
    }

    @Test func aBadElementIsReportedAloneWithItsJSON() throws {
        let body = JobMessage.body([Self.job("a").encoded(), Array(#"{"attempt":"x"}"#.utf8), Self.job("c").encoded()])
        let decoded = try JobMessage.decode(body)
        #expect(decoded.count == 3)
        #expect((try? decoded[0].value.get())?.deliveryUID == "a")
        #expect((try? decoded[2].value.get())?.deliveryUID == "c")
        #expect(throws: JobDecodingError.self) { try decoded[1].value.get() }
        if case .failure(let error) = decoded[1].value { #expect(error.field.hasPrefix("[1].")) }
        #expect(decoded[1].json == ["attempt": "x"])
    }

    @Test func aBodyThatIsNeitherObjectNorArrayIsRefused() {
        #expect(throws: JobDecodingError(field: "<document>", problem: "must be a job object or an array of them, got string")) {
            try JobMessage.decode(Array(#""job""#.utf8))
        }
        #expect(throws: JobDecodingError.self) { try JobMessage.decode(Array("[{".utf8)) }
    }

    @Test func packsKeepOrderWithinBothBounds() {
        #expect(MessagePack.packs(sizes: Array(repeating: 10, count: 7), maxCount: 3, maxBytes: 1000) == [0..<3, 3..<6, 6..<7])
        // Three documents of 10 bytes and their separators fit in 40 bytes, four do not.
        #expect(MessagePack.packs(sizes: Array(repeating: 10, count: 7), maxCount: 100, maxBytes: 40) == [0..<3, 3..<6, 6..<7])
        // A document over the byte bound still goes, alone.
        #expect(MessagePack.packs(sizes: [10, 100, 10], maxCount: 100, maxBytes: 40) == [0..<1, 1..<2, 2..<3])
        #expect(MessagePack.packs(sizes: [], maxCount: 3, maxBytes: 40).isEmpty)
        #expect(MessagePack.messageID(first: "u.1", count: 1) == "u.1")
        #expect(MessagePack.messageID(first: "u.1", count: 4) == "u.1+3")
    }
}
