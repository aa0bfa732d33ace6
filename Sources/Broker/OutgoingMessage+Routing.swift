extension OutgoingMessage {
    /// This message, addressed to `topology.failedQueue` with headers saying why.
    func deadLettered(_ why: DeadLetterReason, topology: Topology) -> OutgoingMessage {
        var copy = self
        copy.exchange = ""
        copy.routingKey = topology.failedQueue
        copy.ccRoutingKeys = []
        copy.headers[DeadLetterHeader.reason] = why.reason
        copy.headers[DeadLetterHeader.message] = why.message
        if let attempts = why.attempts {
            copy.headers[DeadLetterHeader.attempts] = String(attempts)
        }
        copy.headers[DeadLetterHeader.deadLetteredAt] = why.date.ISO8601Format()
        copy.headers[DeadLetterHeader.originalExchange] = exchange
        copy.headers[DeadLetterHeader.originalRoutingKey] = routingKey
        return copy
    }

    /// This job, addressed to the delay queue of `tier`, coming back to its job queue afterwards.
    func delayed(by tier: DelayTier, topology: Topology) throws(BrokerError) -> OutgoingMessage {
        guard exchange == topology.jobsExchange, JobType(rawValue: routingKey) != nil else {
            throw .invalidArgument(
                "a delayed message must target exchange '\(topology.jobsExchange)' with a job type as routing key "
                    + "(one of \(JobType.allCases.map(\.rawValue).joined(separator: ", "))); "
                    + "got exchange '\(exchange)' routing key '\(routingKey)'")
        }
        var copy = self
        copy.exchange = topology.retryExchange
        copy.routingKey = tier.rawValue
        copy.ccRoutingKeys = [routingKey]
        return copy
    }
}
