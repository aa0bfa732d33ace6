import Testing

@testable import Broker

@Suite struct DeliveryMailboxTests {
    func delivery(tag: UInt64, priority: UInt8) -> Delivery {
        Delivery(
            body: [], queue: "q", exchange: "", routingKey: "q", headers: [:], priority: priority, redelivered: false,
            deliveryTag: tag, messageID: nil, correlationID: nil, generation: 0)
    }

    func fill(_ priorities: [UInt8]) -> DeliveryMailbox {
        let mailbox = DeliveryMailbox()
        for (i, priority) in priorities.enumerated() { mailbox.push(delivery(tag: UInt64(i + 1), priority: priority)) }
        return mailbox
    }

    func take(_ count: Int, from mailbox: DeliveryMailbox, byPriority: Bool) async throws -> [UInt64] {
        var tags: [UInt64] = []
        for _ in 0..<count {
            if let d = try await mailbox.next(byPriority: byPriority) { tags.append(d.deliveryTag) }
        }
        return tags
    }

    @Test func takesInArrivalOrderByDefault() async throws {
        let mailbox = fill([0, 0, 5, 0, 5])
        #expect(try await take(5, from: mailbox, byPriority: false) == [1, 2, 3, 4, 5])
    }

    /// A worker's view: what arrived later with a higher priority is taken first, and deliveries
    /// of one priority keep their order.
    @Test func byPriorityTakesTheHighestFirstInArrivalOrderAmongEquals() async throws {
        let mailbox = fill([0, 0, 5, 0, 5, 9])
        #expect(try await take(6, from: mailbox, byPriority: true) == [6, 3, 5, 1, 2, 4])
    }
}
