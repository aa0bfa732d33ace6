import Testing

@testable import Broker

@Suite struct AckWindowTests {
    func delivery(_ tag: UInt64, generation: UInt64 = 1) -> Delivery {
        Delivery(
            body: [], queue: "herald.jobs.webhook", exchange: "herald.jobs", routingKey: "webhook", headers: [:], priority: 0,
            redelivered: false, deliveryTag: tag, messageID: nil, correlationID: nil, generation: generation)
    }

    func tag(_ action: AckWindow.Action) -> String {
        switch action {
        case .none: "none"
        case .multiple(let d): "multiple \(d.deliveryTag)"
        case .single(let d): "single \(d.deliveryTag)"
        }
    }

    @Test func inOrderCompletionsAckAsTheyCome() {
        var w = AckWindow(maxHeldBack: 8)
        for t: UInt64 in 1...3 { w.received(delivery(t)) }
        #expect(tag(w.completed(delivery(1))) == "multiple 1")
        #expect(tag(w.completed(delivery(2))) == "multiple 2")
        #expect(w.outstanding == 1)
    }

    @Test func outOfOrderCompletionsWaitForTheOldestThenAckOnce() {
        var w = AckWindow(maxHeldBack: 8)
        for t: UInt64 in 1...5 { w.received(delivery(t)) }
        #expect(tag(w.completed(delivery(3))) == "none")
        #expect(tag(w.completed(delivery(2))) == "none")
        #expect(tag(w.completed(delivery(5))) == "none")
        // 1 finishing releases 1–3 with one ack; 4 still runs, so 5 waits.
        #expect(tag(w.completed(delivery(1))) == "multiple 3")
        #expect(tag(w.completed(delivery(4))) == "multiple 5")
        #expect(w.outstanding == 0)
    }

    @Test func aSlowDeliveryDoesNotHoldMoreThanMaxHeldBack() {
        var w = AckWindow(maxHeldBack: 2)
        for t: UInt64 in 1...6 { w.received(delivery(t)) }
        #expect(tag(w.completed(delivery(2))) == "none")
        #expect(tag(w.completed(delivery(3))) == "none")
        #expect(tag(w.completed(delivery(4))) == "single 4")
        #expect(tag(w.completed(delivery(5))) == "single 5")
        // The multiple ack names 3 (still unacknowledged), never 4 or 5, which the server already forgot.
        #expect(tag(w.completed(delivery(1))) == "multiple 3")
        #expect(tag(w.completed(delivery(6))) == "multiple 6")
        #expect(w.outstanding == 0)
    }

    @Test func aPrefixOfAloneAckedDeliveriesNeedsNoAck() {
        var w = AckWindow(maxHeldBack: 0)
        for t: UInt64 in 1...3 { w.received(delivery(t)) }
        #expect(tag(w.completed(delivery(2))) == "single 2")
        #expect(tag(w.completed(delivery(1))) == "multiple 1")
        #expect(tag(w.completed(delivery(3))) == "multiple 3")
    }

    @Test func aNewSubscriptionStartsAfreshAndOldCompletionsAreDropped() {
        var w = AckWindow(maxHeldBack: 8)
        w.received(delivery(1))
        w.received(delivery(2))
        w.received(delivery(1, generation: 2))
        #expect(tag(w.completed(delivery(2))) == "none")
        #expect(tag(w.completed(delivery(1, generation: 2))) == "multiple 1")
        #expect(w.outstanding == 0)
    }

    @Test func manyDeliveriesKeepTheWindowSmall() {
        var w = AckWindow(maxHeldBack: 4)
        var acks = 0
        for t: UInt64 in 1...10_000 {
            w.received(delivery(t))
            if t % 2 == 0 {
                // Pairs finish in reverse: every second completion releases two with one ack.
                if w.completed(delivery(t)) != .none { acks += 1 }
                if w.completed(delivery(t - 1)) != .none { acks += 1 }
            }
        }
        #expect(acks == 5_000)
        #expect(w.outstanding == 0)
    }
}
