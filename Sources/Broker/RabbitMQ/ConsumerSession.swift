internal import CRabbitMQ
import Logging
import Synchronization

/// The consuming side of a ``RabbitMQBroker``, on its own connection: one channel per
/// subscription with its prefetch, message assembly from frames, acks, and re-subscribing
/// after a reconnect or a channel error.
final class ConsumerSession: ConnectionRole {
    struct Subscription: Sendable {
        var id: UInt64
        var queue: String
        var prefetch: UInt16
        var shared: ConsumerShared
        /// Resumed once the server confirms the subscription, or with why it refused.
        var ready: CheckedContinuation<Void, any Error>
    }

    enum Command: Sendable {
        case subscribe(Subscription)
        case cancel(id: UInt64, done: CheckedContinuation<Void, Never>?)
        /// The task waiting for the subscription was cancelled.
        case abandon(id: UInt64)
        /// `written` is resumed once the ack is on the socket, or once it need not be (the
        /// subscription it belongs to is gone and the server requeues the delivery anyway); with
        /// false when the connection shuts down first.
        case ack(id: UInt64, tag: UInt64, multiple: Bool, generation: UInt64, written: CheckedContinuation<Bool, Never>)
        case nack(id: UInt64, tag: UInt64, multiple: Bool, requeue: Bool, generation: UInt64)
    }

    private final class Consumer {
        let subscription: Subscription
        var channel: UInt16?
        var generation: UInt64 = 0
        var ready: CheckedContinuation<Void, any Error>?

        init(_ subscription: Subscription) {
            self.subscription = subscription
            ready = subscription.ready
        }

        var queue: String { subscription.queue }
    }

    /// A delivery being assembled from its method, header and body frames.
    private struct Assembly {
        var consumer: Consumer
        var tag: UInt64
        var redelivered: Bool
        var exchange: String
        var routingKey: String
        var properties = AMQPDecoding.Properties()
        var expectedSize: UInt64?
        var body: [UInt8] = []
    }

    private static let adminChannel: UInt16 = 1

    private let topology: DeclaredTopology
    private let logger: Logger
    private var consumers: [UInt64: Consumer] = [:]
    private var byChannel: [UInt16: Consumer] = [:]
    private var assemblies: [UInt16: Assembly] = [:]
    private var freeChannels: [UInt16] = []
    private var nextChannel: UInt16 = 2
    private var nextGeneration: UInt64 = 1
    /// Cancellations that overtook their subscription (cancellation handlers can run first).
    private var cancelledEarly: Set<UInt64> = []

    init(topology: DeclaredTopology, logger: Logger) {
        self.topology = topology
        self.logger = logger
    }

    var wantsConnection: Bool { !consumers.isEmpty }
    var isIdle: Bool { true }

    // MARK: Connection lifecycle

    func connected(_ connection: AMQPConnection) throws(AMQPFailure) {
        if let plan = topology.current {
            try connection.openChannel(Self.adminChannel)
            do {
                try connection.declare(plan, channel: Self.adminChannel)
                try connection.closeChannel(Self.adminChannel)
            } catch .channelClosed(_, let code, let text) {
                logger.error("re-declaring the topology failed", metadata: ["amqp.code": "\(code)", "amqp.text": "\(text)"])
            }
        }
        for consumer in consumers.values.sorted(by: { $0.subscription.id < $1.subscription.id }) {
            try start(consumer, on: connection)
        }
    }

    func disconnected() {
        for consumer in consumers.values { consumer.channel = nil }
        byChannel.removeAll()
        assemblies.removeAll()
        freeChannels.removeAll()
        nextChannel = 2
    }

    func loginRefused(_ error: BrokerError) {
        for consumer in consumers.values where consumer.ready != nil {
            remove(consumer)
            consumer.ready?.resume(throwing: error)
            consumer.ready = nil
        }
    }

    func stop(unhandled: [Command]) {
        for command in unhandled {
            switch command {
            case .subscribe(let subscription): subscription.ready.resume(throwing: BrokerError.shutdown)
            case .cancel(_, let done): done?.resume()
            case .ack(_, _, _, _, let written): written.resume(returning: false)
            case .abandon, .nack: break
            }
        }
        for consumer in consumers.values {
            consumer.ready?.resume(throwing: BrokerError.shutdown)
            consumer.ready = nil
            consumer.subscription.shared.mailbox.finish()
        }
        consumers.removeAll()
    }

    /// Opens a channel for `consumer` and subscribes; failures the server reports for this
    /// subscription alone (missing queue, no permission) end it, others propagate.
    private func start(_ consumer: Consumer, on connection: AMQPConnection) throws(AMQPFailure) {
        let channel = allocateChannel()
        do {
            try connection.openChannel(channel)
            try connection.qos(channel, prefetch: consumer.subscription.prefetch)
            let generation = nextGeneration
            nextGeneration += 1
            try connection.consume(
                channel, queue: consumer.queue, consumerTag: "herald-\(consumer.subscription.id)-\(generation)")
            consumer.channel = channel
            consumer.generation = generation
            consumer.subscription.shared.generation.store(generation, ordering: .releasing)
            byChannel[channel] = consumer
            consumer.ready?.resume()
            consumer.ready = nil
            logger.debug("consuming", metadata: ["amqp.queue": "\(consumer.queue)", "amqp.channel": "\(channel)"])
        } catch .channelClosed(_, let code, let text) {
            freeChannels.append(channel)
            let error: BrokerError =
                code == AMQPReplyCode.notFound ? .queueNotFound(consumer.queue) : .channelClosed(code: code, text: text)
            fail(consumer, error)
        }
    }

    private func fail(_ consumer: Consumer, _ error: BrokerError) {
        remove(consumer)
        if let ready = consumer.ready {
            consumer.ready = nil
            ready.resume(throwing: error)
        } else {
            logger.error("subscription ended by the server", metadata: ["amqp.queue": "\(consumer.queue)", "amqp.error": "\(error)"])
            consumer.subscription.shared.mailbox.finish(throwing: error)
        }
    }

    private func remove(_ consumer: Consumer) {
        consumers.removeValue(forKey: consumer.subscription.id)
        if let channel = consumer.channel {
            byChannel.removeValue(forKey: channel)
            assemblies.removeValue(forKey: channel)
            consumer.channel = nil
        }
    }

    private func allocateChannel() -> UInt16 {
        if let channel = freeChannels.popLast() { return channel }
        defer { nextChannel += 1 }
        return nextChannel
    }

    // MARK: Commands

    func handle(_ command: Command, connection: AMQPConnection?) throws(AMQPFailure) {
        switch command {
        case .subscribe(let subscription):
            if cancelledEarly.remove(subscription.id) != nil {
                subscription.ready.resume(throwing: CancellationError())
                return
            }
            let consumer = Consumer(subscription)
            consumers[subscription.id] = consumer
            if let connection { try start(consumer, on: connection) }
        case .cancel(let id, let done):
            defer { done?.resume() }
            guard let consumer = consumers[id] else { return }
            let channel = consumer.channel
            remove(consumer)
            consumer.ready?.resume(throwing: CancellationError())
            consumer.ready = nil
            consumer.subscription.shared.mailbox.finish()
            guard let channel, let connection else { return }
            // Closing the channel makes the server requeue everything unacknowledged on it.
            do {
                try connection.closeChannel(channel)
            } catch .channelClosed {
                // Already closed by the server; nothing left to requeue.
            }
            freeChannels.append(channel)
        case .abandon(let id):
            if consumers[id] != nil {
                try handle(.cancel(id: id, done: nil), connection: connection)
            } else {
                cancelledEarly.insert(id)
            }
        case .ack(let id, let tag, let multiple, let generation, let written):
            defer { written.resume(returning: true) }
            guard let (channel, connection) = current(id, generation, connection) else { return }
            try connection.ack(channel, tag: tag, multiple: multiple)
        case .nack(let id, let tag, let multiple, let requeue, let generation):
            guard let (channel, connection) = current(id, generation, connection) else { return }
            try connection.nack(channel, tag: tag, multiple: multiple, requeue: requeue)
        }
    }

    /// The channel to acknowledge on, or nil when the delivery belongs to an earlier subscription
    /// (the server has requeued it, and its tag means nothing on the new channel).
    private func current(
        _ id: UInt64, _ generation: UInt64, _ connection: AMQPConnection?
    ) -> (UInt16, AMQPConnection)? {
        guard let consumer = consumers[id], consumer.generation == generation, let channel = consumer.channel,
            let connection
        else {
            logger.trace("dropping an acknowledgement for a previous subscription", metadata: ["amqp.consumer": "\(id)"])
            return nil
        }
        return (channel, connection)
    }

    func flush(_ connection: AMQPConnection) throws(AMQPFailure) {}

    // MARK: Frames

    func handle(frame: amqp_frame_t, connection: AMQPConnection) throws(AMQPFailure) {
        let channel = frame.channel
        switch frame.frame_type {
        case AMQPFrameType.method:
            switch frame.payload.method.id {
            case AMQPMethod.basicDeliver:
                guard let consumer = byChannel[channel],
                    let deliver = AMQPDecoding.method(frame, as: amqp_basic_deliver_t.self)
                else { return }
                assemblies[channel] = Assembly(
                    consumer: consumer, tag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                    exchange: AMQPDecoding.string(deliver.exchange), routingKey: AMQPDecoding.string(deliver.routing_key))
            case AMQPMethod.basicCancel:
                // The server cancelled the subscription (queue deleted, or node failover).
                guard let consumer = byChannel[channel] else { return }
                fail(consumer, .consumerCancelled(queue: consumer.queue))
                do {
                    try connection.closeChannel(channel)
                } catch .channelClosed {}
                freeChannels.append(channel)
            default:
                break
            }
        case AMQPFrameType.header:
            guard var assembly = assemblies[channel] else { return }
            assembly.properties = AMQPDecoding.properties(frame.payload.properties.decoded)
            let size = frame.payload.properties.body_size
            assembly.expectedSize = size
            assembly.body.reserveCapacity(Int(clamping: size))
            assemblies[channel] = assembly
            if size == 0 { complete(channel) }
        case AMQPFrameType.body:
            guard var assembly = assemblies[channel], let expected = assembly.expectedSize else { return }
            // Remove while appending so the array is uniquely referenced and grows in place.
            assemblies[channel] = nil
            let fragment = frame.payload.body_fragment
            if let base = fragment.bytes, fragment.len > 0 {
                assembly.body.append(contentsOf: UnsafeRawBufferPointer(start: base, count: fragment.len))
            }
            assemblies[channel] = assembly
            if UInt64(assembly.body.count) >= expected { complete(channel) }
        default:
            break
        }
    }

    private func complete(_ channel: UInt16) {
        guard let assembly = assemblies.removeValue(forKey: channel) else { return }
        let consumer = assembly.consumer
        let properties = assembly.properties
        consumer.subscription.shared.mailbox.push(
            Delivery(
                body: assembly.body, queue: consumer.queue, exchange: assembly.exchange, routingKey: assembly.routingKey,
                headers: properties.headers, priority: properties.priority, redelivered: assembly.redelivered,
                deliveryTag: assembly.tag, messageID: properties.messageID, correlationID: properties.correlationID,
                generation: consumer.generation))
    }

    func channelClosed(_ channel: UInt16, code: UInt16, text: String, connection: AMQPConnection) throws(AMQPFailure) {
        guard let consumer = byChannel.removeValue(forKey: channel) else { return }
        assemblies.removeValue(forKey: channel)
        consumer.channel = nil
        freeChannels.append(channel)
        // Typically an ack with an unknown tag (406). The server has requeued the channel's
        // unacknowledged deliveries; subscribe again so the consumer keeps receiving.
        logger.error(
            "RabbitMQ closed a consumer channel; subscribing again",
            metadata: ["amqp.queue": "\(consumer.queue)", "amqp.code": "\(code)", "amqp.text": "\(text)"])
        try start(consumer, on: connection)
    }
}
