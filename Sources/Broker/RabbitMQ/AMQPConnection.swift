internal import CRabbitMQ
internal import CRabbitMQShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One librabbitmq connection. librabbitmq is not thread-safe, so an instance belongs to the
/// connection thread that opened it and is never touched from anywhere else. Every call here
/// may block that thread (never a Swift concurrency thread) on the network.
final class AMQPConnection {
    private let state: amqp_connection_state_t
    private let arena = CArena()
    private var isClosed = false
    /// Heartbeat negotiated with the server, in seconds (0 = none).
    private(set) var heartbeatSeconds: Int32 = 0

    private init(state: amqp_connection_state_t) {
        self.state = state
    }

    deinit {
        amqp_destroy_connection(state)
    }

    struct Settings: Sendable {
        var endpoint: AMQPEndpoint
        var heartbeat: Duration
        var connectTimeout: Duration
        var requestTimeout: Duration
        var connectionName: String
    }

    static func open(_ settings: Settings) throws(AMQPFailure) -> AMQPConnection {
        guard let state = amqp_new_connection() else { throw .connectionLost("cannot allocate a connection") }
        let connection = AMQPConnection(state: state)
        guard let socket = amqp_tcp_socket_new(state) else { throw .connectionLost("cannot allocate a socket") }
        var connectTimeout = timeval(settings.connectTimeout)
        let endpoint = settings.endpoint
        let status = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connectTimeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw .connectionLost("TCP connection failed: \(errorString(status))")
        }
        var handshakeTimeout = timeval(settings.connectTimeout)
        _ = amqp_set_handshake_timeout(state, &handshakeTimeout)
        var requestTimeout = timeval(settings.requestTimeout)
        _ = amqp_set_rpc_timeout(state, &requestTimeout)

        let arena = connection.arena
        defer { arena.reset() }
        var properties = arena.table([
            ("connection_name", .string(settings.connectionName)),
            ("product", .string("herald")),
        ])
        let heartbeat = Int32(clamping: settings.heartbeat.components.seconds)
        let reply = herald_amqp_login_with_properties(
            state, endpoint.virtualHost, 0, 131_072, heartbeat, &properties, endpoint.user, endpoint.password)
        do {
            try connection.check(reply, channel: 0, doing: "login")
        } catch .connectionClosed(let code, let text) where code == AMQPReplyCode.accessRefused {
            throw .accessRefused(text)
        }
        connection.heartbeatSeconds = Int32(amqp_get_heartbeat(state))
        return connection
    }

    /// The socket, for poll(2) alongside the thread's wake-up pipe.
    var socketDescriptor: Int32 { amqp_get_sockfd(state) }

    /// Decoded frames or unread bytes already in librabbitmq's buffers: poll(2) on the socket
    /// would not report them, so they must be read before waiting.
    var hasBufferedInput: Bool {
        amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0
    }

    /// The next frame if one can be read without waiting. Also sends a heartbeat when one is due.
    func nextFrame() throws(AMQPFailure) -> amqp_frame_t? {
        var frame = amqp_frame_t()
        var immediately = timeval(tv_sec: 0, tv_usec: 0)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &immediately)
        if status == AMQP_STATUS_OK.rawValue { return frame }
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        throw .connectionLost("read failed: \(Self.errorString(status))")
    }

    /// Lets librabbitmq reuse the memory of a handled frame.
    func releaseBuffers(channel: UInt16) {
        amqp_maybe_release_buffers_on_channel(state, channel)
    }

    // MARK: Channels

    func openChannel(_ channel: UInt16) throws(AMQPFailure) {
        _ = amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), channel: channel, doing: "channel.open")
    }

    func closeChannel(_ channel: UInt16) throws(AMQPFailure) {
        let reply = amqp_channel_close(state, channel, AMQPReplyCode.success)
        try check(reply, channel: channel, doing: "channel.close")
    }

    func confirmSelect(_ channel: UInt16) throws(AMQPFailure) {
        _ = amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), channel: channel, doing: "confirm.select")
    }

    func qos(_ channel: UInt16, prefetch: UInt16) throws(AMQPFailure) {
        _ = amqp_basic_qos(state, channel, 0, prefetch, 0)
        try check(amqp_get_rpc_reply(state), channel: channel, doing: "basic.qos")
    }

    func consume(_ channel: UInt16, queue: String, consumerTag: String) throws(AMQPFailure) {
        defer { arena.reset() }
        _ = amqp_basic_consume(
            state, channel, arena.bytes(queue), arena.bytes(consumerTag), 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), channel: channel, doing: "basic.consume")
    }

    /// Answers a server-initiated channel.close, after which the channel number may be reused.
    func sendChannelCloseOk(_ channel: UInt16) throws(AMQPFailure) {
        var closeOk = amqp_channel_close_ok_t()
        let status = amqp_send_method(state, channel, AMQPMethod.channelCloseOk, &closeOk)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw .connectionLost("sending channel.close-ok failed: \(Self.errorString(status))")
        }
    }

    /// Answers a server-initiated connection.close; the connection is unusable afterwards.
    func sendConnectionCloseOk() {
        var closeOk = amqp_connection_close_ok_t()
        _ = amqp_send_method(state, 0, AMQPMethod.connectionCloseOk, &closeOk)
        isClosed = true
    }

    /// Closes politely if the connection still works; errors are irrelevant at this point.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        var shortTimeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = amqp_set_rpc_timeout(state, &shortTimeout)
        _ = amqp_connection_close(state, AMQPReplyCode.success)
    }

    /// Marks the connection dead without talking to the server (after a socket error).
    func abandon() {
        isClosed = true
    }

    // MARK: Topology

    func declare(_ plan: TopologyPlan, channel: UInt16) throws(AMQPFailure) {
        defer { arena.reset() }
        for exchange in plan.exchanges {
            _ = amqp_exchange_declare(
                state, channel, arena.bytes(exchange.name), arena.bytes("direct"), 0, 1, 0, 0, amqp_empty_table)
            try check(amqp_get_rpc_reply(state), channel: channel, doing: "declaring exchange '\(exchange.name)'")
        }
        for queue in plan.queues {
            var arguments: [(key: String, value: AMQPFieldValue)] = []
            if let priority = queue.maxPriority { arguments.append(("x-max-priority", .int32(Int32(priority)))) }
            if let ttl = queue.messageTTL {
                let milliseconds = ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
                arguments.append(("x-message-ttl", .int64(milliseconds)))
            }
            if let exchange = queue.deadLetterExchange { arguments.append(("x-dead-letter-exchange", .string(exchange))) }
            if let key = queue.deadLetterRoutingKey { arguments.append(("x-dead-letter-routing-key", .string(key))) }
            _ = amqp_queue_declare(state, channel, arena.bytes(queue.name), 0, 1, 0, 0, arena.table(arguments))
            try check(amqp_get_rpc_reply(state), channel: channel, doing: "declaring queue '\(queue.name)'")
            arena.reset()
        }
        for binding in plan.bindings {
            _ = amqp_queue_bind(
                state, channel, arena.bytes(binding.queue), arena.bytes(binding.exchange),
                arena.bytes(binding.routingKey), amqp_empty_table)
            try check(amqp_get_rpc_reply(state), channel: channel, doing: "binding '\(binding.queue)'")
            arena.reset()
        }
    }

    // MARK: Messages

    /// Sends one persistent message. `mandatory` makes the server return it if no queue matches.
    func publish(_ message: OutgoingMessage, channel: UInt16, mandatory: Bool) throws(AMQPFailure) {
        defer { arena.reset() }
        var properties = amqp_basic_properties_t()
        properties._flags = AMQPPropertyFlag.deliveryMode | AMQPPropertyFlag.priority
        properties.delivery_mode = 2
        properties.priority = message.effectivePriority
        if !message.headers.isEmpty || !message.ccRoutingKeys.isEmpty {
            var entries: [(key: String, value: AMQPFieldValue)] = message.headers.map { ($0.key, .string($0.value)) }
            if !message.ccRoutingKeys.isEmpty { entries.append(("CC", .stringArray(message.ccRoutingKeys))) }
            properties._flags |= AMQPPropertyFlag.headers
            properties.headers = arena.table(entries)
        }
        if let messageID = message.messageID {
            properties._flags |= AMQPPropertyFlag.messageID
            properties.message_id = arena.bytes(messageID)
        }
        if let correlationID = message.correlationID {
            properties._flags |= AMQPPropertyFlag.correlationID
            properties.correlation_id = arena.bytes(correlationID)
        }
        let exchange = arena.bytes(message.exchange)
        let routingKey = arena.bytes(message.routingKey)
        let status = message.body.withUnsafeBytes { body in
            amqp_basic_publish(
                state, channel, exchange, routingKey, mandatory ? 1 : 0, 0, &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw .connectionLost("publish failed: \(Self.errorString(status))")
        }
    }

    func ack(_ channel: UInt16, tag: UInt64, multiple: Bool) throws(AMQPFailure) {
        let status = amqp_basic_ack(state, channel, tag, multiple ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw .connectionLost("ack failed: \(Self.errorString(status))")
        }
    }

    func nack(_ channel: UInt16, tag: UInt64, multiple: Bool, requeue: Bool) throws(AMQPFailure) {
        let status = amqp_basic_nack(state, channel, tag, multiple ? 1 : 0, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw .connectionLost("nack failed: \(Self.errorString(status))")
        }
    }

    // MARK: Replies

    /// Turns an RPC reply into success or an ``AMQPFailure``, answering server-side closes.
    private func check(_ reply: amqp_rpc_reply_t, channel: UInt16, doing action: String) throws(AMQPFailure) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == AMQPMethod.connectionClose,
                let close = reply.reply.decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            {
                sendConnectionCloseOk()
                throw .connectionClosed(code: close.reply_code, text: AMQPDecoding.string(close.reply_text))
            }
            if reply.reply.id == AMQPMethod.channelClose,
                let close = reply.reply.decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            {
                try sendChannelCloseOk(channel)
                throw .channelClosed(channel: channel, code: close.reply_code, text: AMQPDecoding.string(close.reply_text))
            }
            throw .connectionLost("\(action): unexpected reply method \(reply.reply.id)")
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw .connectionLost("\(action): \(Self.errorString(reply.library_error))")
        default:
            throw .connectionLost("\(action): connection closed")
        }
    }

    static func errorString(_ status: Int32) -> String {
        guard let text = amqp_error_string2(status) else { return "error \(status)" }
        return String(cString: text)
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: .init(attoseconds / 1_000_000_000_000))
    }
}
