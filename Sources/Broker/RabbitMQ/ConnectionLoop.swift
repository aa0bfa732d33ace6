internal import CRabbitMQ
import Foundation
import Logging
import Synchronization

struct ConnectionLoopSettings: Sendable {
    var connection: AMQPConnection.Settings
    var backoff: ReconnectBackoff
    var shutdownTimeout: Duration
}

/// Runs one AMQP connection on a dedicated OS thread. librabbitmq's calls block, so they must
/// never run on Swift's cooperative pool; tasks talk to the thread through ``inbox`` only.
final class ConnectionLoop<Role: ConnectionRole>: Sendable {
    typealias Settings = ConnectionLoopSettings

    private enum Lifecycle {
        case idle
        case running
        case finished
    }

    private struct State {
        var lifecycle = Lifecycle.idle
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let inbox: CommandInbox<Role.Command>
    /// Whether the connection is up, as the thread last saw it.
    let link = LinkStatus()
    private let settings: Settings
    private let logger: Logger
    private let threadName: String
    private let makeRole: @Sendable () -> Role
    private let state = Mutex(State())

    init(
        threadName: String, settings: Settings, logger: Logger, makeRole: @escaping @Sendable () -> Role
    ) throws(AMQPFailure) {
        inbox = try CommandInbox()
        self.threadName = threadName
        self.settings = settings
        self.logger = logger
        self.makeRole = makeRole
    }

    func start() {
        let shouldStart = state.withLock { state -> Bool in
            guard state.lifecycle == .idle else { return false }
            state.lifecycle = .running
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            let runner = LoopRunner(role: makeRole(), inbox: inbox, link: link, settings: settings, logger: logger)
            runner.run()
            finish()
        }
        thread.name = threadName
        thread.start()
    }

    /// Asks the thread to finish (a publisher first waits up to the shutdown timeout for
    /// outstanding confirms) and waits until it has exited.
    func stop() async {
        let neverStarted = state.withLock { state -> Bool in
            guard state.lifecycle == .idle else { return false }
            state.lifecycle = .finished
            return true
        }
        if neverStarted {
            makeRole().stop(unhandled: inbox.close())
            return
        }
        inbox.requestStop()
        await withCheckedContinuation { continuation in
            let alreadyFinished = state.withLock { state -> Bool in
                if state.lifecycle == .finished { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if alreadyFinished { continuation.resume() }
        }
    }

    private func finish() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.lifecycle = .finished
            defer { state.finishWaiters.removeAll() }
            return state.finishWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A connection's state as its thread last saw it, readable from any thread.
final class LinkStatus: Sendable {
    enum State: UInt8 {
        /// Not connected (yet, or any more), and the role wants a connection.
        case down
        /// Logged in, and the role has set its channels up.
        case up
        /// Not connected because the role needs no connection now (a consumer connection
        /// without consumers).
        case notNeeded
    }

    private let value = Atomic<UInt8>(State.down.rawValue)

    var state: State { State(rawValue: value.load(ordering: .relaxed)) ?? .down }

    func set(_ state: State) { value.store(state.rawValue, ordering: .relaxed) }
}

/// The body of a connection thread: connect, then alternate between commands, frames and
/// waiting in poll(2) on the socket and the wake-up pipe; reconnect with backoff on failure.
private final class LoopRunner<Role: ConnectionRole> {
    private let role: Role
    private let inbox: CommandInbox<Role.Command>
    private let link: LinkStatus
    private let settings: ConnectionLoopSettings
    private let logger: Logger
    private let clock = ContinuousClock()

    private var connection: AMQPConnection?
    private var failedAttempts = 0
    private var nextAttempt: ContinuousClock.Instant?
    private var lastInbound: ContinuousClock.Instant
    private var stopDeadline: ContinuousClock.Instant?

    /// Frames handled before looking at commands again, so acks and publishes keep flowing
    /// while a busy consumer connection has deliveries queued.
    private static var framesPerTurn: Int { 256 }

    init(
        role: Role, inbox: CommandInbox<Role.Command>, link: LinkStatus, settings: ConnectionLoopSettings, logger: Logger
    ) {
        self.role = role
        self.inbox = inbox
        self.link = link
        self.settings = settings
        self.logger = logger
        lastInbound = clock.now
    }

    func run() {
        while true {
            if stopDeadline == nil, inbox.isStopRequested {
                stopDeadline = clock.now + settings.shutdownTimeout
            }
            handleCommands()
            if let stopDeadline, role.isIdle || clock.now >= stopDeadline { break }

            guard let connection else {
                connectOrWait()
                continue
            }
            do {
                try role.flush(connection)
                var handled = 0
                while handled < Self.framesPerTurn, let frame = try connection.nextFrame() {
                    handled += 1
                    lastInbound = clock.now
                    try dispatch(frame, on: connection)
                }
                try role.flush(connection)
                if handled == Self.framesPerTurn || connection.hasBufferedInput || inbox.hasCommands { continue }
                try waitForActivity(on: connection)
            } catch {
                handleFailure(error)
            }
        }
        let unhandled = inbox.close()
        role.stop(unhandled: unhandled)
        connection?.close()
        connection = nil
        link.set(.down)
        logger.debug("connection thread stopped")
    }

    private func handleCommands() {
        for command in inbox.drain() {
            do {
                try role.handle(command, connection: connection)
            } catch {
                handleFailure(error)
            }
        }
    }

    private func dispatch(_ frame: amqp_frame_t, on connection: AMQPConnection) throws(AMQPFailure) {
        defer { connection.releaseBuffers(channel: frame.channel) }
        guard frame.frame_type == AMQPFrameType.method else {
            try role.handle(frame: frame, connection: connection)
            return
        }
        switch frame.payload.method.id {
        case AMQPMethod.connectionClose:
            let close = AMQPDecoding.method(frame, as: amqp_connection_close_t.self)
            connection.sendConnectionCloseOk()
            throw .connectionClosed(
                code: close?.reply_code ?? 0, text: close.map { AMQPDecoding.string($0.reply_text) } ?? "")
        case AMQPMethod.connectionBlocked:
            logger.warning("RabbitMQ blocked this connection (resource alarm); publishes will wait")
        case AMQPMethod.connectionUnblocked:
            logger.info("RabbitMQ unblocked this connection")
        case AMQPMethod.channelClose:
            let close = AMQPDecoding.method(frame, as: amqp_channel_close_t.self)
            try connection.sendChannelCloseOk(frame.channel)
            try role.channelClosed(
                frame.channel, code: close?.reply_code ?? 0,
                text: close.map { AMQPDecoding.string($0.reply_text) } ?? "", connection: connection)
        default:
            try role.handle(frame: frame, connection: connection)
        }
    }

    private func connectOrWait() {
        let stopping = stopDeadline != nil
        guard role.wantsConnection || (stopping && !role.isIdle) else {
            if !stopping { link.set(.notNeeded) }
            waitForCommands(until: stopDeadline)
            return
        }
        link.set(.down)
        if let nextAttempt, clock.now < nextAttempt {
            waitForCommands(until: stopDeadline.map { min($0, nextAttempt) } ?? nextAttempt)
            return
        }
        do {
            let opened = try AMQPConnection.open(settings.connection)
            connection = opened
            lastInbound = clock.now
            if failedAttempts > 0 {
                logger.info("reconnected to RabbitMQ", metadata: ["amqp.attempts": "\(failedAttempts + 1)"])
            } else {
                logger.info("connected to RabbitMQ", metadata: ["amqp.heartbeat": "\(opened.heartbeatSeconds)s"])
            }
            failedAttempts = 0
            nextAttempt = nil
            try role.connected(opened)
            link.set(.up)
        } catch {
            handleFailure(error)
        }
    }

    /// Decides what a failure means: a closed channel is the role's business; anything else
    /// costs the connection, which is re-established after a backoff.
    private func handleFailure(_ failure: AMQPFailure) {
        if case .channelClosed(let channel, let code, let text) = failure, let connection {
            do {
                try role.channelClosed(channel, code: code, text: text, connection: connection)
                return
            } catch {
                return handleFailure(error)
            }
        }
        let delay = settings.backoff.delay(forAttempt: failedAttempts)
        let metadata: Logger.Metadata = [
            "amqp.error": "\(failure)", "amqp.retry_in": "\(delay)", "amqp.attempt": "\(failedAttempts + 1)",
        ]
        if case .accessRefused(let reason) = failure {
            logger.error("RabbitMQ refused the login; check the user, password and vhost", metadata: metadata)
            role.loginRefused(.accessRefused(endpoint: settings.connection.endpoint.description, reason: reason))
        } else if connection != nil {
            logger.warning("lost the RabbitMQ connection; reconnecting", metadata: metadata)
        } else if failedAttempts == 0 {
            logger.warning("cannot connect to RabbitMQ; retrying", metadata: metadata)
        } else {
            logger.debug("still cannot connect to RabbitMQ", metadata: metadata)
        }
        connection?.abandon()
        if connection != nil { role.disconnected() }
        connection = nil
        link.set(.down)
        failedAttempts += 1
        nextAttempt = clock.now + delay
    }

    private func waitForActivity(on connection: AMQPConnection) throws(AMQPFailure) {
        let heartbeat = Duration.seconds(Int64(connection.heartbeatSeconds))
        // Wake at least twice per heartbeat interval: reading is what sends our heartbeats.
        var timeout: Duration = heartbeat > .zero ? heartbeat / 2 : .seconds(5)
        if let stopDeadline { timeout = min(timeout, max(.zero, stopDeadline - clock.now)) }
        let socketReady = poll(socket: connection.socketDescriptor, timeout: timeout)
        if socketReady { lastInbound = clock.now }
        // librabbitmq only notices missing heartbeats inside blocking reads, which this loop
        // never does, so it checks the silence itself.
        if heartbeat > .zero, clock.now - lastInbound > heartbeat * 2 {
            throw .connectionLost("no data or heartbeat from the server for \(heartbeat * 2)")
        }
    }

    private func waitForCommands(until deadline: ContinuousClock.Instant?) {
        let timeout = deadline.map { max(.zero, $0 - clock.now) } ?? .seconds(60)
        _ = poll(socket: nil, timeout: timeout)
    }

    /// Blocks in poll(2) until the socket is readable, a command arrives, or `timeout` passes.
    /// Returns whether the socket was readable.
    private func poll(socket: Int32?, timeout: Duration) -> Bool {
        var descriptors = [pollfd(fd: inbox.wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0)]
        if let socket { descriptors.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
        let ready = descriptors.withUnsafeMutableBufferPointer { buffer in
            Foundation.poll(buffer.baseAddress, nfds_t(buffer.count), milliseconds)
        }
        guard ready > 0 else { return false }
        if descriptors[0].revents != 0 { inbox.wakePipe.drain() }
        return descriptors.count > 1 && descriptors[1].revents != 0
    }
}
