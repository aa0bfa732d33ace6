import Foundation
import HeraldAPI
import Testing

/// The body of a `herald.results` message: one result object or a pack of them.
@Suite struct ResultMessageTests {
    static func result(_ uid: String, attempt: Int = 1, outcome: DeliveryOutcome = .delivered) -> DeliveryResult {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        return DeliveryResult(
            deliveryUID: uid, attempt: attempt, outcome: outcome, code: "Delivered", message: "",
            timings: DeliveryTimings(startedAt: at, finishedAt: at.addingTimeInterval(0.1)))
    }

    static func decoded(_ bytes: [UInt8]) throws -> [Result<DeliveryResult, JobDecodingError>] {
        try ResultMessage.decode(bytes)
    }

    @Test func aLoneResultIsTheObjectItself() throws {
        let r = Self.result("a")
        let body = ResultMessage.body([r.encoded()])
        #expect(body == r.encoded())
        let back = try Self.decoded(body).map { try $0.get() }
        #expect(back.map(\.deliveryUID) == ["a"])
    }

    @Test func aPackIsAnArrayOfResultsInOrder() throws {
        let results = ["a", "b", "c"].map { Self.result($0) }
        let body = ResultMessage.body(results.map { $0.encoded() })
        #expect(try JSON.parse(body).arrayValue?.count == 3)
        let back = try Self.decoded(body).map { try $0.get() }
        #expect(back.map(\.deliveryUID) == ["a", "b", "c"])
        #expect(back.allSatisfy { $0.outcome == .delivered && $0.attempt == 1 })
        // What the packed bytes add up to.
        #expect(body.count == 1 + results.reduce(0) { $0 + MessagePack.packedSize(of: $1.encoded()) })
    }

    @Test func aBadElementDoesNotLoseTheOthers() throws {
        let body = ResultMessage.body([
            Self.result("a").encoded(), Array(#"{"deliveryUID":"b","attempt":"two"}"#.utf8), Array("7".utf8),
            Self.result("c").encoded(),
        ])
        let elements = try Self.decoded(body)
        #expect(elements.count == 4)
        #expect(elements.compactMap { try? $0.get().deliveryUID } == ["a", "c"])
        let errors = elements.compactMap { element -> JobDecodingError? in
            if case .failure(let e) = element { return e }
            return nil
        }
        #expect(errors.map(\.field) == ["[1].attempt", "[2]"])
        #expect(errors.last?.problem == "must be an object, got integer")
    }

    @Test func anEmptyPackHoldsNoResults() throws {
        #expect(try Self.decoded(Array("[]".utf8)).isEmpty)
    }

    @Test func aMessageThatIsNeitherIsUnreadable() {
        #expect(throws: JobDecodingError.self) { try ResultMessage.decode(Array("{nope".utf8)) }
        #expect(throws: JobDecodingError(field: "<document>", problem: "must be a result object or an array of them, got string")) {
            try ResultMessage.decode(Array(#""done""#.utf8))
        }
        // A lone object that is not a result is one failed element, as before packing.
        #expect((try? Self.decoded(Array(#"{"attempt":1}"#.utf8)))?.first.map { (try? $0.get()) == nil } == true)
    }
}
