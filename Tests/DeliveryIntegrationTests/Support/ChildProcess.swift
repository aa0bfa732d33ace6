import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A process started with posix_spawn, its stdout and stderr appended to one log file.
///
/// Not Foundation's Process: on Linux it sometimes never notices that a child exited, and it
/// lets the child inherit the test's sockets (the webhook sink's listener, AMQP connections),
/// which would then outlive a SIGKILLed test peer. Here every descriptor above 2 is closed in
/// the child, and exit is observed with waitpid.
final class ChildProcess: Sendable {
    let pid: pid_t
    let name: String
    let logPath: String
    private let state = LockedValue<Int32?>(nil)

    init(name: String, executable: String, arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.name = name
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for descriptor in open where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let merged = IntegrationEnvironment.variables.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw IntegrationFailure("cannot start \(executable): error \(spawned)") }
        self.pid = pid
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The exit status once the process has exited (128 + signal for a signal), else nil.
    var exitStatus: Int32? {
        state.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            // WIFEXITED / WEXITSTATUS, which Swift does not import.
            status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            return status
        }
    }

    var isRunning: Bool { exitStatus == nil }

    /// SIGKILL: the process gets no chance to ack, flush or release anything.
    func kill() async {
        await signalAndWait(SIGKILL, grace: 10)
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace` seconds.
    func stop(grace: Double = 5) async {
        await signalAndWait(SIGTERM, grace: grace)
        if isRunning { await signalAndWait(SIGKILL, grace: 10) }
    }

    private func signalAndWait(_ signal: Int32, grace: Double) async {
        guard isRunning else { return }
        // A cancelled test (its time limit passed) cannot sleep between polls: kill at once and
        // reap, which takes milliseconds after SIGKILL.
        if Task.isCancelled {
            _ = Glibc.kill(pid, SIGKILL)
            state.withLock { status in
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
                status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            }
            return
        }
        _ = Glibc.kill(pid, signal)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The listening port from the API server's "Herald API listening" log line.
    func waitForListeningPort(timeout: Double = 60) async throws -> Int {
        try await eventually("\(name) to listen (log: \(logPath))", timeout: timeout) {
            if let status = exitStatus { throw IntegrationFailure("\(name) exited with \(status):\n\(log.suffix(3000))") }
            return Self.listeningPort(in: log) ?? 0
        } until: {
            $0 > 0
        }
    }

    /// Waits for a log line containing `text`; fails early if the process exits.
    func waitForLog(_ text: String, timeout: Double) async throws {
        _ = try await eventually("\(name) to log \"\(text)\" (log: \(logPath))", timeout: timeout) {
            if let status = exitStatus { throw IntegrationFailure("\(name) exited with \(status):\n\(log.suffix(3000))") }
            return log.contains(text)
        } until: {
            $0
        }
    }

    static func listeningPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("listening") {
            guard let range = line.range(of: "127.0.0.1:") else { continue }
            if let port = Int(line[range.upperBound...].prefix { $0.isNumber }), port > 0 { return port }
        }
        return nil
    }
}

/// A value behind a lock, shareable between tasks (a local `Mutex` cannot be captured by two).
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
