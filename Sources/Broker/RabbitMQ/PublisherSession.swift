internal import CRabbitMQ
internal import DequeModule
import Logging
import Synchronization

import struct HeraldAPI.ResumeOnce

/// The publishing side of a ``RabbitMQBroker``, on its own connection: publishes with publisher
/// confirms through a window of unconfirmed messages, settles batches as confirms arrive,
/// republishes what was unconfirmed when a connection is lost, and declares the topology.
final class PublisherSession: ConnectionRole {
    struct PublishRequest: Sendable {
        var id: UInt64
        var messages: [OutgoingMessage]
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// One `declareTopology` call. Its continuation is resumed once: by the connection thread
    /// (declared, refused, shut down) or by the caller's cancellation, whichever comes first.
    final class DeclareRequest: Sendable {
        let plan: TopologyPlan
        private let state = Mutex(ResumeOnce<Void, any Error>())

        init(plan: TopologyPlan) {
            self.plan = plan
        }

        /// Attaches the caller's continuation; returns false (having resumed it) if the request was
        /// settled first, in which case it must not be sent to the connection thread.
        func register(_ continuation: CheckedContinuation<Void, any Error>) -> Bool {
            guard let early = state.withLock({ $0.register(continuation) }) else { return true }
            continuation.resume(with: early)
            return false
        }

        /// Whether the request was settled (cancelled, or answered): the thread drops it then.
        var isSettled: Bool { state.withLock { $0.isSettled } }

        func resume() { settle(.success(())) }

        func resume(throwing error: any Error) { settle(.failure(error)) }

        /// Settles the request; later calls do nothing.
        private func settle(_ result: Result<Void, any Error>) {
            state.withLock { $0.settle(result) }?.resume(with: result)
        }
    }

    enum Command: Sendable {
        case publish(PublishRequest)
        case cancel(id: UInt64)
        case declare(DeclareRequest)
        /// The caller stopped waiting (its request is already settled): forget it.
        case abandonDeclaration(DeclareRequest)
    }

    /// One `publish` call, settled when every message is confirmed or refused.
    private final class Batch {
        let request: PublishRequest
        var unsettled: Int
        var failures: [PublishFailure] = []
        var isAbandoned = false

        init(_ request: PublishRequest) {
            self.request = request
            unsettled = request.messages.count
        }

        var messages: [OutgoingMessage] { request.messages }
    }

    private struct Outgoing {
        var batch: Batch
        var index: Int
        var message: OutgoingMessage { batch.messages[index] }
    }

    private struct InFlight {
        var outgoing: Outgoing
        /// Set when the server returned the message as unroutable; its ack follows.
        var returned: String?
    }

    /// A basic.return arrives as method, header and body frames; the body is skipped.
    private struct ReturnInProgress {
        var exchange: String
        var routingKey: String
        var text: String
        var remainingBody: UInt64?
    }

    private static let publishChannel: UInt16 = 1
    private static let adminChannel: UInt16 = 2

    private let window: Int
    private let topology: DeclaredTopology
    private let logger: Logger

    private var pending: Deque<Outgoing> = []
    /// Sent and unconfirmed, indexed by sequence number − `firstSequence`; nil once settled out of order.
    private var inFlight: Deque<InFlight?> = []
    private var firstSequence: UInt64 = 1
    private var unconfirmed = 0
    private var batches: [UInt64: Batch] = [:]
    /// Cancellations that overtook their publish (cancellation handlers can run first).
    private var cancelledEarly: Set<UInt64> = []
    private var waitingDeclarations: [DeclareRequest] = []
    private var returnInProgress: ReturnInProgress?
    private var publishChannelOpen = false
    private var adminChannelOpen = false

    init(window: Int, topology: DeclaredTopology, logger: Logger) {
        self.window = window
        self.topology = topology
        self.logger = logger
    }

    var wantsConnection: Bool { true }

    var isIdle: Bool { pending.isEmpty && unconfirmed == 0 && waitingDeclarations.isEmpty }

    // MARK: Connection lifecycle

    func connected(_ connection: AMQPConnection) throws(AMQPFailure) {
        try openPublishChannel(connection)
        try openAdminChannel(connection)
        if let plan = topology.current {
            try connection.declare(plan, channel: Self.adminChannel)
        }
        let declarations = waitingDeclarations
        waitingDeclarations = []
        for request in declarations where !request.isSettled {
            try declare(request, connection: connection)
        }
    }

    func disconnected() {
        publishChannelOpen = false
        adminChannelOpen = false
        returnInProgress = nil
        let resend = takeInFlight()
        if !resend.isEmpty {
            logger.warning(
                "republishing unconfirmed messages after reconnecting (they may arrive twice)",
                metadata: ["amqp.count": "\(resend.count)"])
        }
        pending.prepend(contentsOf: resend)
    }

    func loginRefused(_ error: BrokerError) {
        for request in waitingDeclarations { request.resume(throwing: error) }
        waitingDeclarations = []
        for batch in batches.values where !batch.isAbandoned {
            batch.isAbandoned = true
            batch.request.continuation.resume(throwing: error)
        }
        batches = [:]
        pending.removeAll()
    }

    func stop(unhandled: [Command]) {
        for command in unhandled {
            switch command {
            case .publish(let request): request.continuation.resume(throwing: BrokerError.shutdown)
            case .declare(let request): request.resume(throwing: BrokerError.shutdown)
            case .cancel, .abandonDeclaration: break
            }
        }
        loginRefused(.shutdown)
        if unconfirmed > 0 {
            logger.warning("shut down with unconfirmed messages; their publish failed", metadata: ["amqp.count": "\(unconfirmed)"])
        }
        inFlight.removeAll()
        unconfirmed = 0
    }

    private func openPublishChannel(_ connection: AMQPConnection) throws(AMQPFailure) {
        try connection.openChannel(Self.publishChannel)
        try connection.confirmSelect(Self.publishChannel)
        // Confirm sequence numbers restart at 1 on every channel in confirm mode.
        firstSequence = 1
        publishChannelOpen = true
    }

    private func openAdminChannel(_ connection: AMQPConnection) throws(AMQPFailure) {
        try connection.openChannel(Self.adminChannel)
        adminChannelOpen = true
    }

    // MARK: Commands

    func handle(_ command: Command, connection: AMQPConnection?) throws(AMQPFailure) {
        switch command {
        case .publish(let request):
            if cancelledEarly.remove(request.id) != nil {
                request.continuation.resume(throwing: CancellationError())
                return
            }
            let batch = Batch(request)
            batches[request.id] = batch
            for index in request.messages.indices {
                pending.append(Outgoing(batch: batch, index: index))
            }
        case .cancel(let id):
            guard let batch = batches.removeValue(forKey: id) else {
                cancelledEarly.insert(id)
                return
            }
            batch.isAbandoned = true
            pending.removeAll { $0.batch === batch }
            batch.request.continuation.resume(throwing: CancellationError())
        case .declare(let request):
            // Cancelled before the thread saw it (its abandonDeclaration may have come first).
            if request.isSettled { return }
            guard let connection else {
                waitingDeclarations.append(request)
                return
            }
            try declare(request, connection: connection)
        case .abandonDeclaration(let request):
            waitingDeclarations.removeAll { $0 === request }
        }
    }

    private func declare(_ request: DeclareRequest, connection: AMQPConnection) throws(AMQPFailure) {
        do {
            if !adminChannelOpen { try openAdminChannel(connection) }
            try connection.declare(request.plan, channel: Self.adminChannel)
            topology.remember(request.plan)
            request.resume()
        } catch .channelClosed(let channel, let code, let text) where channel == Self.adminChannel {
            adminChannelOpen = false
            request.resume(
                throwing: code == AMQPReplyCode.preconditionFailed
                    ? BrokerError.topologyConflict(text) : BrokerError.channelClosed(code: code, text: text))
        } catch {
            // The connection failed mid-way: declare again once reconnected.
            waitingDeclarations.append(request)
            throw error
        }
    }

    // MARK: Sending

    func flush(_ connection: AMQPConnection) throws(AMQPFailure) {
        guard publishChannelOpen else { return }
        while unconfirmed < window, let next = pending.popFirst() {
            if next.batch.isAbandoned { continue }
            inFlight.append(InFlight(outgoing: next))
            unconfirmed += 1
            // If this throws, the message is in flight and will be republished after reconnecting.
            try connection.publish(next.message, channel: Self.publishChannel, mandatory: true)
        }
    }

    // MARK: Frames

    func handle(frame: amqp_frame_t, connection: AMQPConnection) throws(AMQPFailure) {
        guard frame.channel == Self.publishChannel else { return }
        switch frame.frame_type {
        case AMQPFrameType.method:
            switch frame.payload.method.id {
            case AMQPMethod.basicAck:
                if let ack = AMQPDecoding.method(frame, as: amqp_basic_ack_t.self) {
                    settle(upTo: ack.delivery_tag, multiple: ack.multiple != 0, accepted: true)
                }
            case AMQPMethod.basicNack:
                if let nack = AMQPDecoding.method(frame, as: amqp_basic_nack_t.self) {
                    settle(upTo: nack.delivery_tag, multiple: nack.multiple != 0, accepted: false)
                }
            case AMQPMethod.basicReturn:
                if let returned = AMQPDecoding.method(frame, as: amqp_basic_return_t.self) {
                    returnInProgress = ReturnInProgress(
                        exchange: AMQPDecoding.string(returned.exchange),
                        routingKey: AMQPDecoding.string(returned.routing_key),
                        text: "\(returned.reply_code) \(AMQPDecoding.string(returned.reply_text))")
                }
            default:
                break
            }
        case AMQPFrameType.header:
            guard var returned = returnInProgress else { return }
            returned.remainingBody = frame.payload.properties.body_size
            returnInProgress = returned
            if returned.remainingBody == 0 { completeReturn() }
        case AMQPFrameType.body:
            guard var returned = returnInProgress, let remaining = returned.remainingBody else { return }
            let length = UInt64(frame.payload.body_fragment.len)
            returned.remainingBody = remaining > length ? remaining - length : 0
            returnInProgress = returned
            if returned.remainingBody == 0 { completeReturn() }
        default:
            break
        }
    }

    /// Marks the returned message. A return carries no sequence number, but the server handles a
    /// channel's publishes in order and returns a message before confirming it, so it is the
    /// oldest unconfirmed, not yet returned message with the same exchange and routing key.
    private func completeReturn() {
        guard let returned = returnInProgress else { return }
        returnInProgress = nil
        for index in inFlight.indices {
            guard var entry = inFlight[index], entry.returned == nil,
                entry.outgoing.message.exchange == returned.exchange,
                entry.outgoing.message.routingKey == returned.routingKey
            else { continue }
            entry.returned = returned.text
            inFlight[index] = entry
            return
        }
    }

    private func settle(upTo tag: UInt64, multiple: Bool, accepted: Bool) {
        guard tag >= firstSequence, !inFlight.isEmpty else { return }
        let last = min(tag, firstSequence + UInt64(inFlight.count) - 1)
        let first = multiple ? firstSequence : tag
        guard first <= last else { return }
        for sequence in first...last {
            let index = Int(sequence - firstSequence)
            guard let entry = inFlight[index] else { continue }
            inFlight[index] = nil
            unconfirmed -= 1
            let reason: PublishFailure.Reason? =
                !accepted ? .rejected : entry.returned.map { .unroutable($0) }
            resolve(entry.outgoing, failure: reason)
        }
        while case .some(.none) = inFlight.first {
            inFlight.removeFirst()
            firstSequence += 1
        }
    }

    private func resolve(_ outgoing: Outgoing, failure reason: PublishFailure.Reason?) {
        let batch = outgoing.batch
        guard !batch.isAbandoned else { return }
        if let reason {
            let message = outgoing.message
            batch.failures.append(
                PublishFailure(
                    index: outgoing.index, exchange: message.exchange, routingKey: message.routingKey, reason: reason))
        }
        batch.unsettled -= 1
        guard batch.unsettled == 0 else { return }
        batches.removeValue(forKey: batch.request.id)
        if batch.failures.isEmpty {
            batch.request.continuation.resume()
        } else {
            batch.request.continuation.resume(throwing: BrokerError.publishFailed(batch.failures.sorted { $0.index < $1.index }))
        }
    }

    /// Removes every unconfirmed message, oldest first, and restarts sequence numbering.
    private func takeInFlight() -> [Outgoing] {
        let taken = inFlight.compactMap { $0?.outgoing }.filter { !$0.batch.isAbandoned }
        inFlight.removeAll()
        unconfirmed = 0
        firstSequence = 1
        return taken
    }

    // MARK: Channel errors

    func channelClosed(_ channel: UInt16, code: UInt16, text: String, connection: AMQPConnection) throws(AMQPFailure) {
        guard channel == Self.publishChannel else {
            if channel == Self.adminChannel { adminChannelOpen = false }
            return
        }
        publishChannelOpen = false
        returnInProgress = nil
        // The server dropped everything published after the offending message. Publishing to a
        // missing exchange is the usual cause and names the exchange: fail those messages, and
        // send the others again. For anything else the culprit is unknown: fail them all.
        let missingExchange = code == AMQPReplyCode.notFound ? Self.exchangeName(inNotFound: text) : nil
        var resend: [Outgoing] = []
        for outgoing in takeInFlight() {
            if let missingExchange, outgoing.message.exchange != missingExchange {
                resend.append(outgoing)
            } else {
                resolve(outgoing, failure: missingExchange != nil ? .exchangeNotFound : .channelClosed(code: code, text: text))
            }
        }
        logger.warning(
            "RabbitMQ closed the publishing channel; reopening it",
            metadata: ["amqp.code": "\(code)", "amqp.text": "\(text)", "amqp.resent": "\(resend.count)"])
        pending.prepend(contentsOf: resend)
        try openPublishChannel(connection)
    }

    /// The exchange named in "NOT_FOUND - no exchange 'name' in vhost '/'".
    static func exchangeName(inNotFound text: String) -> String? {
        guard let start = text.range(of: "no exchange '") else { return nil }
        let rest = text[start.upperBound...]
        guard let end = rest.range(of: "' in vhost") else { return nil }
        return String(rest[..<end.lowerBound])
    }
}
