import Synchronization

/// Commands from tasks to a connection thread. Sending never blocks; the first command after the
/// thread emptied the inbox writes to the wake-up pipe.
final class CommandInbox<Command: Sendable>: Sendable {
    private struct State {
        var commands: [Command] = []
        var stopRequested = false
        /// Set by the thread as it exits; later commands are refused so nobody waits forever.
        var closed = false
    }

    private let state = Mutex(State())
    let wakePipe: WakePipe

    init() throws(AMQPFailure) {
        wakePipe = try WakePipe()
    }

    /// False if the thread has exited; the caller must then fail the command itself.
    @discardableResult
    func send(_ command: Command) -> Bool {
        let (accepted, mustWake) = state.withLock { state -> (Bool, Bool) in
            guard !state.closed else { return (false, false) }
            state.commands.append(command)
            return (true, state.commands.count == 1)
        }
        if mustWake { wakePipe.wake() }
        return accepted
    }

    func drain() -> [Command] {
        state.withLock { state in
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state.commands
        }
    }

    var hasCommands: Bool { state.withLock { !$0.commands.isEmpty } }

    func requestStop() {
        state.withLock { $0.stopRequested = true }
        wakePipe.wake()
    }

    var isStopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Refuses further commands and returns those not yet handled.
    func close() -> [Command] {
        state.withLock { state in
            state.closed = true
            defer { state.commands.removeAll() }
            return state.commands
        }
    }
}
