import Testing

@testable import Broker

struct TopologyTests {
    @Test func standardNamesMatchTheArchitecture() {
        let topology = Topology.standard
        #expect(topology.jobsExchange == "herald.jobs")
        #expect(
            JobType.allCases.map(topology.jobsQueue(for:)) == [
                "herald.jobs.email", "herald.jobs.webhook", "herald.jobs.slack", "herald.jobs.push", "herald.jobs.sms",
                "herald.jobs.log",
            ])
        #expect(topology.retryExchange == "herald.retry")
        #expect(topology.retryQueue(for: .thirtySeconds) == "herald.retry.30s")
        #expect(topology.resultsQueue == "herald.results")
        #expect(topology.failedQueue == "herald.failed")
    }

    @Test func planDeclaresPriorityJobQueuesBoundByType() {
        let plan = TopologyPlan(.standard)
        #expect(plan.exchanges.map(\.name) == ["herald.jobs", "herald.retry"])
        for type in JobType.allCases {
            let queue = plan.queues.first { $0.name == "herald.jobs.\(type)" }
            #expect(queue?.maxPriority == 10)
            #expect(queue?.deadLetterExchange == "")
            #expect(queue?.deadLetterRoutingKey == "herald.failed")
            #expect(plan.bindings.contains(.init(queue: "herald.jobs.\(type)", exchange: "herald.jobs", routingKey: type.rawValue)))
        }
    }

    @Test func retryQueuesExpireBackIntoTheJobsExchangeKeepingTheirKeys() {
        let plan = TopologyPlan(.standard)
        for tier in DelayTier.allCases {
            let queue = plan.queues.first { $0.name == "herald.retry.\(tier)" }
            #expect(queue?.messageTTL == tier.duration)
            #expect(queue?.deadLetterExchange == "herald.jobs")
            // A fixed dead-letter routing key would send every job of a tier to one type.
            #expect(queue?.deadLetterRoutingKey == nil)
            #expect(queue?.maxPriority == nil)
            #expect(plan.bindings.contains(.init(queue: "herald.retry.\(tier)", exchange: "herald.retry", routingKey: tier.rawValue)))
        }
        #expect(plan.queues.count == JobType.allCases.count + DelayTier.allCases.count + 2)
        #expect(plan.queues.contains { $0.name == "herald.results" })
        #expect(plan.queues.contains { $0.name == "herald.failed" && $0.deadLetterExchange == nil })
    }

    @Test func delayedMessagesCarryTheirJobTypeAsCC() throws {
        let job = OutgoingMessage.job(.slack, body: [1, 2], priority: 3, messageID: "m")
        let delayed = try job.delayed(by: .fiveSeconds, topology: .standard)
        #expect(delayed.exchange == "herald.retry")
        #expect(delayed.routingKey == "5s")
        #expect(delayed.ccRoutingKeys == ["slack"])
        #expect(delayed.body == [1, 2])
        #expect(delayed.priority == 3)
        #expect(delayed.messageID == "m")
    }

    @Test func onlyJobsCanBeDelayed() {
        #expect(throws: BrokerError.self) {
            try OutgoingMessage.toQueue("herald.results", body: []).delayed(by: .oneSecond, topology: .standard)
        }
        #expect(throws: BrokerError.self) {
            try OutgoingMessage(exchange: "herald.jobs", routingKey: "fax", body: [])
                .delayed(by: .oneSecond, topology: .standard)
        }
    }

    @Test func prioritiesAreClampedToNine() {
        #expect(OutgoingMessage.job(.log, body: [], priority: 200).priority == 9)
        var message = OutgoingMessage.job(.log, body: [])
        message.priority = 12
        #expect(message.effectivePriority == 9)
    }
}
