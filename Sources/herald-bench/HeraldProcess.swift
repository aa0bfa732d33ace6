import Foundation

/// A `herald` process (any role) started for a benchmark, found next to `herald-bench`, stopped
/// with SIGTERM. Its output goes to a log file that is kept when the run fails.
final class HeraldProcess {
    let process = Process()
    let role: String
    let port: Int
    let dataDir: URL
    let logFile: URL

    init(role: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.role = role
        port = Self.freePort()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-\(UUID().uuidString)")
        logFile = dataDir.appendingPathExtension("log")
        let binary = Self.sibling("herald")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError(
                "no herald binary next to herald-bench at \(binary.path): build it first (swift build -c release --product herald)")
        }
        process.executableURL = binary
        // Every role listens on a free port of its own (the API for serve and apiserver, the
        // operations endpoint for controller and worker), so two stacks never meet on a default.
        var args = [role]
        switch role {
        case "worker": args += ["--metrics-listen", "127.0.0.1:\(port)"]
        case "controller": args += ["--metrics-listen", "127.0.0.1:\(port)", "--data-dir", dataDir.path]
        default: args += ["--listen", "127.0.0.1:\(port)", "--data-dir", dataDir.path]
        }
        process.arguments = args + ["--log-level", "warning"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The API (serve, apiserver) or the operations endpoint (controller, worker).
    var url: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    /// CPU seconds (user + system) the process has used so far.
    var cpuSeconds: Double { ProcessCPU.seconds(pid: pid) }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDir)
        try? FileManager.default.removeItem(at: logFile)
    }

    /// A binary installed next to this one.
    static func sibling(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }

    /// A port nothing listens on right now (the kernel's choice, released at once).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ptr -> Bool in
                bind(fd, ptr, length) == 0 && getsockname(fd, ptr, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : Int.random(in: 20000...40000)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
