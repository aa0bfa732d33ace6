import HeraldAPI
import Logging

extension Logger {
    /// This logger with one job's metadata. Built only for a line about to be written: setting
    /// five keys for every job was about 1 % of a busy worker, and the happy path logs nothing
    /// above debug.
    func forJob(_ job: DeliveryJob) -> Logger {
        var log = self
        log[metadataKey: "correlationID"] = .string(job.correlationID)
        log[metadataKey: "deliveryUID"] = .string(job.deliveryUID)
        log[metadataKey: "channel"] = .string("\(job.namespace)/\(job.channel.name)")
        log[metadataKey: "channelType"] = .string(job.channel.type)
        log[metadataKey: "attempt"] = .stringConvertible(job.attempt)
        return log
    }
}
