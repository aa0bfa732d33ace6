import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where the built `herald` and `heraldctl` binaries are.
///
/// The test target depends on neither executable product, so `swift test` cannot build them:
/// build them first into the same scratch path (see Tests/HeraldctlTests/README.md). They are
/// looked up in `$HERALD_BIN_DIR`, next to the test bundle, then in `.build/debug`.
enum Binaries {
    static func directory() throws -> URL {
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["HERALD_BIN_DIR"], !dir.isEmpty {
            candidates.append(URL(fileURLWithPath: dir))
        }
        let selfExe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(selfExe.deletingLastPathComponent())
        // Bundle layouts (macOS .xctest bundles) keep the binaries a few levels up.
        candidates.append(selfExe.deletingLastPathComponent().deletingLastPathComponent())
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for dir in candidates {
            let ctl = dir.appendingPathComponent("heraldctl").path
            let server = dir.appendingPathComponent("herald").path
            if FileManager.default.isExecutableFile(atPath: ctl), FileManager.default.isExecutableFile(atPath: server) {
                return dir
            }
        }
        throw TestSetupError(
            "herald and heraldctl binaries not found (looked in \(candidates.map(\.path))). Build them first: swift build --product herald && swift build --product heraldctl (same --scratch-path as swift test), or set HERALD_BIN_DIR."
        )
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// State the exit handler needs; globals because an `atexit` handler cannot capture.
nonisolated(unsafe) private var serverPID: Int32 = 0
nonisolated(unsafe) private var runRootPath = ""

/// Everything one test run writes (server data, sandboxes, process output) lives under one
/// directory, removed with the server when the test process exits.
enum TestRun {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("heraldctl-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        runRootPath = url.path
        atexit {
            if serverPID > 0 { kill(serverPID, SIGTERM) }
            if !runRootPath.isEmpty { try? FileManager.default.removeItem(atPath: runRootPath) }
        }
        return url
    }()

    static func directory(_ prefix: String) throws -> URL {
        let url = root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// One real `herald serve` for the whole test run, on a free port with a temp data dir. Tests
/// isolate themselves by namespace, as users of one cluster do.
actor TestServer {
    static let shared = TestServer()

    /// The one start-up, shared by every test that asks while it is under way (the actor is
    /// reentrant across the polling sleeps, so a plain "started" flag would start many servers).
    private var starting: Task<String, any Error>?

    func url() async throws -> String {
        if let starting { return try await starting.value }
        let task = Task { try await TestServer.start() }
        starting = task
        return try await task.value
    }

    static func start() async throws -> String {
        let bin = try Binaries.directory()
        let dataDir = try TestRun.directory("herald-data")
        // Port 0: the server picks a free port and logs it; no race with other test runs.
        // The API role alone: these tests write status themselves, as the controller would, and
        // `herald serve`'s controller would overwrite it.
        let process = try RunningProcess(
            executable: bin.appendingPathComponent("herald"),
            arguments: ["apiserver", "--listen", "127.0.0.1:0", "--data-dir", dataDir.path, "--log-level", "info"],
            environment: ProcessInfo.processInfo.environment, stdin: nil)
        serverPID = process.pid
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let port = listeningPort(in: process.stderr) {
                return "http://127.0.0.1:\(port)"
            }
            if !process.process.isRunning {
                throw TestSetupError("herald serve exited early:\n\(process.stderr)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw TestSetupError("herald serve did not start listening within 60s:\n\(process.stderr)")
    }

    /// Reads the port from the "Herald API listening" log line (JSON or plain).
    static func listeningPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("listening") {
            guard let range = line.range(of: "127.0.0.1:") else { continue }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            if let port = Int(digits), port > 0 { return port }
        }
        return nil
    }
}

/// A per-test sandbox: its own namespace, config file and scratch directory.
struct Sandbox {
    let server: String
    let namespace: String
    let directory: URL
    let configPath: String
    let bin: URL

    init() async throws {
        bin = try Binaries.directory()
        server = try await TestServer.shared.url()
        namespace = "t-" + UUID().uuidString.prefix(8).lowercased()
        directory = try TestRun.directory("sandbox")
        configPath = directory.appendingPathComponent("config").path
    }

    /// The environment heraldctl runs with: the test server, and a config file of its own so
    /// the user's ~/.herald/config is never read or written.
    func environment(server useServer: Bool = true) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HERALDCONFIG"] = configPath
        env["HERALD_SERVER"] = useServer ? server : nil
        env["HERALD_TOKEN"] = nil
        return env
    }

    /// Runs heraldctl in this sandbox's namespace (unless `namespaced` is false).
    @discardableResult
    func ctl(
        _ arguments: [String], stdin: String? = nil, namespaced: Bool = true, useServer: Bool = true,
        timeout: Double = 60
    ) async throws -> CommandResult {
        try await start(arguments, stdin: stdin, namespaced: namespaced, useServer: useServer).wait(timeout: timeout)
    }

    func ctl(_ arguments: String..., stdin: String? = nil) async throws -> CommandResult {
        try await ctl(arguments, stdin: stdin)
    }

    /// Starts heraldctl in the background (watches, waits).
    func start(_ arguments: [String], stdin: String? = nil, namespaced: Bool = true, useServer: Bool = true) throws
        -> RunningProcess
    {
        try RunningProcess(
            executable: bin.appendingPathComponent("heraldctl"),
            arguments: arguments + (namespaced ? ["-n", namespace] : []),
            environment: environment(server: useServer), stdin: stdin)
    }

    /// Writes a file into the sandbox directory and answers its path.
    @discardableResult
    func write(_ name: String, _ content: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A Notification manifest with an inline message (no Template needed).
    func notification(_ name: String, channels: [String] = ["log"], labels: [String: String] = [:], extraSpec: String = "")
        -> String
    {
        var labelBlock = ""
        if !labels.isEmpty {
            labelBlock = "  labels:\n" + labels.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value)\n" }.joined()
        }
        return """
            apiVersion: herald.dev/v1alpha1
            kind: Notification
            metadata:
              name: \(name)
            \(labelBlock)spec:
              message:
                subject: Hello
                text: Hi there
              to:
              - address:
                  email: ada@example.com
              channels: [\(channels.joined(separator: ", "))]
            \(extraSpec)
            """
    }
}

/// Expectation helpers that show the whole command result on failure.
func expectSuccess(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
}

func expectFailure(
    _ result: CommandResult, status: Int32 = 1, stderrContains text: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.contains(text), "\(result)", sourceLocation: sourceLocation)
}
