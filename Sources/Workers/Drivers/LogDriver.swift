import HeraldAPI
import Logging

/// Prints the rendered message through swift-log: for development, demos and `herald serve`
/// without real providers. Always delivers.
public struct LogDriver: ChannelDriver {
    public let channelType = "log"
    private let logger: Logger?

    /// - Parameter logger: where messages go; nil logs through the job's logger.
    public init(logger: Logger? = nil) {
        self.logger = logger
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        var log = logger ?? context.logger
        log[metadataKey: "correlationID"] = .string(context.job.correlationID)
        var metadata: Logger.Metadata = [
            "notification": .string("\(context.job.namespace)/\(context.job.notification)"),
            "recipient": .string(context.job.recipient.name ?? ""), "part": .string(message.part),
            "digest": .string(message.digest),
        ]
        if let locale = message.locale { metadata["locale"] = .string(locale) }
        for (k, v) in message.fields { metadata[k] = .string(v) }
        if let data = message.data { metadata["data"] = .string(data.serializedString()) }
        let level = context.settings["level"]?.stringValue.flatMap(Logger.Level.init(rawValue:)) ?? .info
        log.log(level: level, "notification", metadata: metadata)
        return SendReceipt(providerMessageID: "log-" + context.job.idempotencyKey, message: "written to the log")
    }
}
