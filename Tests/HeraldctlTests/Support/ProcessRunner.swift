import Foundation

/// What a finished process printed and how it exited.
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// A started child process whose output goes to temp files (no pipe buffers to fill up).
final class RunningProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from start() and the termination handler, which
    // Foundation serializes; the output files are read after exit.
    let process: Process
    let stdoutURL: URL
    let stderrURL: URL
    private let exited: Task<Int32, Never>

    init(executable: URL, arguments: [String], environment: [String: String], stdin: String?) throws {
        let dir = try TestRun.directory("process")
        stdoutURL = dir.appendingPathComponent("stdout")
        stderrURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        let input = Pipe()
        process.standardInput = input
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { p in
            continuation.yield(p.terminationStatus)
            continuation.finish()
        }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        self.process = process
        exited = Task {
            for await status in stream { return status }
            return -1
        }
    }

    var pid: Int32 { process.processIdentifier }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits for exit; past the timeout the process is killed and the result says so.
    func wait(timeout: Double = 60) async -> CommandResult {
        let killer = Task { [process] in
            try await Task.sleep(for: .seconds(timeout))
            if process.isRunning { process.terminate() }
        }
        let status = await exited.value
        killer.cancel()
        return CommandResult(status: status, stdout: stdout, stderr: stderr)
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// Polls the output until `predicate` holds or the timeout passes.
    func waitForOutput(timeout: Double = 20, _ predicate: (String) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(stdout) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return predicate(stdout)
    }
}
