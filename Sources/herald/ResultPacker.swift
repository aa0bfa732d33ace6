import Broker
import HeraldAPI

/// Packs the results a worker finished while its previous publish was in flight into few
/// `herald.results` messages (`ResultMessage`): RabbitMQ then stores, confirms, delivers and has
/// acknowledged one persistent message per pack instead of one per delivery. Bounded so that a
/// message stays small enough to move and to apply in one controller batch.
struct ResultPacker: Sendable {
    /// One encoded result and the identifiers a message carrying it alone would have.
    struct Entry: Sendable {
        var encoded: [UInt8]
        /// `<deliveryUID>.<attempt>`.
        var messageID: String
        var correlationID: String?
    }

    let queue: String
    let maxResults: Int
    /// Body bytes at most; a single result larger than this still goes, alone.
    let maxBytes: Int

    init(queue: String, maxResults: Int = 256, maxBytes: Int = 256 * 1024) {
        self.queue = queue
        self.maxResults = max(1, maxResults)
        self.maxBytes = max(1, maxBytes)
    }

    /// The messages carrying `entries`, in order, each within the bounds.
    func messages(_ entries: [Entry]) -> [OutgoingMessage] {
        MessagePack.packs(sizes: entries.map(\.encoded.count), maxCount: maxResults, maxBytes: maxBytes).map { message(entries[$0]) }
    }

    /// A pack keeps a correlation ID all its results share.
    private func message(_ pack: ArraySlice<Entry>) -> OutgoingMessage {
        guard let first = pack.first else { return .toQueue(queue, body: ResultMessage.body([])) }
        return .toQueue(
            queue, body: ResultMessage.body(pack.map(\.encoded)),
            messageID: MessagePack.messageID(first: first.messageID, count: pack.count),
            correlationID: MessagePack.sharedCorrelationID(pack.map(\.correlationID)))
    }
}
