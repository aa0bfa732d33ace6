import Broker
import Foundation
import HeraldAPI
import Logging
import Testing

@testable import Controller

/// How the controller packs the jobs it publishes together into `herald.jobs` messages.
@Suite struct BrokerJobTransportTests {
    static func job(_ uid: String, type: String = "webhook", priority: DeliveryPriority = .normal, correlation: String = "c")
        -> DeliveryJob
    {
        DeliveryJob(
            deliveryUID: uid, namespace: "default", delivery: "d-\(uid)", notification: "n", attempt: 1,
            channel: JobChannel(name: type, type: type, spec: ["type": .string(type)]), template: [:], variables: [:],
            recipient: JobRecipient(address: ["email": "a@x.io"]), priority: priority, correlationID: correlation,
            idempotencyKey: "\(uid)-1")
    }

    func transport(maxJobs: Int = 8, maxBytes: Int = 256 * 1024) -> BrokerJobTransport {
        BrokerJobTransport(broker: EmbeddedBroker(logger: Logger(label: "test")), maxJobsPerMessage: maxJobs, maxBytesPerMessage: maxBytes)
    }

    func unpacked(_ message: OutgoingMessage) throws -> [DeliveryJob] {
        try JobMessage.decode(message.body).map { try $0.value.get() }
    }

    @Test func jobsOfOneTypeAndPriorityShareMessagesUpToTheBound() throws {
        let jobs = (0..<10).map { Self.job("u\($0)") }
        let messages = transport(maxJobs: 4).messages(jobs)
        #expect(messages.map(\.messageID) == ["u0.1+3", "u4.1+3", "u8.1+1"])
        #expect(try messages.flatMap(unpacked) == jobs)
        #expect(messages.allSatisfy { $0.exchange == "herald.jobs" && $0.routingKey == "webhook" && $0.priority == 5 })
        #expect(messages.allSatisfy { $0.correlationID == "c" })
    }

    @Test func typesAndPrioritiesNeverShareAMessage() throws {
        let jobs = [
            Self.job("a"), Self.job("b", type: "log"), Self.job("c", priority: .high), Self.job("d"),
            Self.job("e", type: "log"), Self.job("f", priority: .high, correlation: "other"),
        ]
        let messages = transport().messages(jobs)
        #expect(messages.count == 3)
        let byFirst = Dictionary(uniqueKeysWithValues: try messages.map { (try unpacked($0).first?.deliveryUID ?? "", $0) })
        #expect(try byFirst["a"].map(unpacked)?.map(\.deliveryUID) == ["a", "d"])
        #expect(byFirst["a"]?.routingKey == "webhook" && byFirst["a"]?.priority == 5)
        #expect(try byFirst["b"].map(unpacked)?.map(\.deliveryUID) == ["b", "e"])
        #expect(byFirst["b"]?.routingKey == "log")
        #expect(try byFirst["c"].map(unpacked)?.map(\.deliveryUID) == ["c", "f"])
        #expect(byFirst["c"]?.priority == 9)
        // Mixed correlation IDs: the pack names none rather than the wrong one.
        #expect(byFirst["c"]?.correlationID == nil)
    }

    @Test func aLoneJobIsSentAsItself() {
        let job = Self.job("a")
        let messages = transport().messages([job])
        #expect(messages.map(\.body) == [job.encoded()])
        #expect(messages.first?.messageID == "a.1")
    }

    @Test func theByteBoundSplitsPacksToo() throws {
        let jobs = (0..<6).map { Self.job("u\($0)") }
        let size = jobs[0].encoded().count
        let messages = transport(maxJobs: 100, maxBytes: 2 * (size + 1) + 1).messages(jobs)
        #expect(messages.count == 3)
        #expect(try messages.flatMap(unpacked) == jobs)
    }
}
