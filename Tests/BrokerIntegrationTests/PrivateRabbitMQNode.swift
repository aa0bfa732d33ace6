import Foundation
import Testing

/// A RabbitMQ node of its own, for tests that stop or freeze the server: doing that to the shared
/// test node would disturb every other suite using it at the same time.
struct PrivateRabbitMQNode: Sendable {
    let url: String
    let rabbitmqctl: String
    let pidFile: String
    let directory: String

    @TaskLocal static var current: PrivateRabbitMQNode?

    private static var scripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts")
    }

    static var canStart: Bool {
        RabbitMQTestEnvironment.isAvailable
            && FileManager.default.isExecutableFile(atPath: scripts.appendingPathComponent("rabbitmq-start.sh").path)
    }

    static func start() async throws -> PrivateRabbitMQNode {
        let directory = "/tmp/herald-rabbitmq-private-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await run(
            scripts.appendingPathComponent("rabbitmq-start.sh").path, [],
            environment: ["HERALD_RABBITMQ_DIR": directory])
        var exports: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            exports[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        guard let url = exports["HERALD_TEST_AMQP_URL"], let rabbitmqctl = exports["HERALD_TEST_RABBITMQCTL"],
            let pidFile = exports["HERALD_TEST_RABBITMQ_PID_FILE"]
        else { throw TestFailure("rabbitmq-start.sh printed no exports: \(output)") }
        return PrivateRabbitMQNode(url: url, rabbitmqctl: rabbitmqctl, pidFile: pidFile, directory: directory)
    }

    func stop() async {
        _ = try? await Self.run(
            Self.scripts.appendingPathComponent("rabbitmq-stop.sh").path, [],
            environment: ["HERALD_TEST_RABBITMQ_DIR": directory])
    }

    func control(_ arguments: String...) async throws {
        _ = try await Self.run(rabbitmqctl, arguments)
    }

    /// Sends `signal` to the node's process; SIGSTOP freezes it without closing its sockets.
    func signal(_ signal: Int32) throws {
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text), pid > 1 else { throw TestFailure("no process id in \(pidFile)") }
        guard kill(pid, signal) == 0 else { throw TestFailure("kill(\(pid), \(signal)) failed") }
    }

    /// Runs a command and returns its stdout, without blocking a Swift concurrency thread.
    private static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let result: Result<(status: Int32, output: String), TestFailure> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    returning: Result { () throws(TestFailure) in
                        try Subprocess.run(executable, arguments, environment: merged)
                    })
            }
        }
        let (status, output) = try result.get()
        guard status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited with \(status)")
        }
        return output
    }
}

/// posix_spawn and waitpid, because Foundation's Process on Linux sometimes never notices that
/// a child exited (the child stays a zombie and waitUntilExit spins).
enum Subprocess {
    /// Blocks until the command exits; returns its exit status and stdout.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws(TestFailure) -> (
        status: Int32, output: String
    ) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw TestFailure("pipe failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, descriptors[1], 1)
        // Nothing else of the test process (its AMQP sockets in particular) may leak into the
        // processes the scripts start: a socket held open by another process is never closed.
        posix_spawn_file_actions_addclose(&actions, descriptors[0])
        posix_spawn_file_actions_addclose(&actions, descriptors[1])
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for descriptor in open where descriptor > 2 && !descriptors.contains(descriptor) {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(descriptors[1])
        guard spawned == 0 else {
            close(descriptors[0])
            throw TestFailure("cannot run \(executable): error \(spawned)")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptors[0], $0.baseAddress, $0.count) }
            if count > 0 {
                output.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(descriptors[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}

/// Starts a private node around a suite (once for the whole suite) and stops it afterwards.
struct PrivateRabbitMQNodeTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let node = try await PrivateRabbitMQNode.start()
        do {
            try await PrivateRabbitMQNode.$current.withValue(node) { try await function() }
        } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }
}

extension Trait where Self == PrivateRabbitMQNodeTrait {
    static var privateRabbitMQNode: Self { PrivateRabbitMQNodeTrait() }
}
