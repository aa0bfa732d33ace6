import HeraldAPI
import Logging

/// One delivery backend (smtp, webhook, slack, webpush, fcm, apns, twilio, log). A driver gets
/// the rendered message and everything about the job, talks to its provider once, and either
/// returns a receipt or throws a classified `DeliveryError`. Drivers keep no per-delivery state;
/// retries, breakers and rate limits live in `JobProcessor` and the controller.
public protocol ChannelDriver: Sendable {
    /// The `Channel.spec.type` it serves.
    var channelType: String { get }
    func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt
}

/// What a provider said when it accepted a message.
public struct SendReceipt: Sendable, Hashable {
    public var providerMessageID: String?
    /// Human-readable detail for the result (`250 OK queued as …`).
    public var message: String

    public init(providerMessageID: String? = nil, message: String = "delivered") {
        self.providerMessageID = providerMessageID
        self.message = message
    }
}
