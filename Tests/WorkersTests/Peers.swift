import Foundation
import HeraldAPI
import Synchronization
import Testing

/// Python test peers (Tests/peers): real protocol implementations written by others
/// (aiosmtpd, standardwebhooks, http_ece, py_vapid, PyJWT, hypercorn) that judge what Herald
/// sends. Each prints `READY <json>` then `EVENT <json>` per request.
enum Peers {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("peers").path

    static let modules = "import aiosmtpd, standardwebhooks, http_ece, py_vapid, jwt, cryptography, hypercorn"
    static let packages = ["aiosmtpd", "standardwebhooks", "http_ece", "py_vapid", "pyjwt", "cryptography", "hypercorn"]

    /// True when python3 has the peers' libraries, installing them with pip once if needed.
    /// Real-peer tests are skipped (with this reason) only when that fails.
    ///
    /// Async and off the cooperative pool: the probe waits for python (seconds under load, a pip
    /// install longer), and suites evaluating a blocking check at once would hold every pool
    /// thread (two on a two-core machine), stalling every other test in the process meanwhile.
    static func available() async -> Bool { await probe.value }

    private static let probe = Task {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            Thread {
                if run(["python3", "-c", modules]) { return c.resume(returning: true) }
                _ = run(["python3", "-m", "pip", "install", "--quiet"] + packages)
                c.resume(returning: run(["python3", "-c", modules]))
            }.start()
        }
    }

    static let skipReason: Comment =
        "python3 test peers unavailable: `pip install aiosmtpd standardwebhooks http_ece py_vapid pyjwt cryptography hypercorn` failed"

    static func run(_ argv: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    static func tempDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-peers-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
}

/// One running peer process, ended when the test calls `stop()` (or at deinit).
// Process is not Sendable, but only its thread-safe members (isRunning, terminate,
// waitUntilExit) are used after launch.
final class Peer: @unchecked Sendable {
    let name: String
    private let process: Process
    private let stdin: Pipe
    private let lines = Mutex<[String]>([])
    private let stderrText = Mutex<String>("")
    private let readyJSON = Mutex<JSON?>(nil)

    private init(name: String, process: Process, stdin: Pipe) {
        self.name = name
        self.process = process
        self.stdin = stdin
    }

    /// Starts `python3 Tests/peers/<script> args…` and waits (at most `timeout` seconds) for READY.
    static func start(_ script: String, _ args: [String] = [], timeout: Double = 30) async throws -> Peer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script] + args
        process.currentDirectoryURL = URL(fileURLWithPath: Peers.directory)
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let peer = Peer(name: script, process: process, stdin: input)
        try process.run()
        peer.pump(out.fileHandleForReading) { line in
            if line.hasPrefix("READY "), let j = try? JSON.parse(String(line.dropFirst(6))) {
                peer.readyJSON.withLock { $0 = j }
            } else if line.hasPrefix("EVENT ") {
                peer.lines.withLock { $0.append(String(line.dropFirst(6))) }
            }
        }
        peer.pump(err.fileHandleForReading) { line in peer.stderrText.withLock { $0 += line + "\n" } }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if peer.readyJSON.withLock({ $0 }) != nil { return peer }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        peer.stop()
        throw PeerError(description: "\(script) did not start: \(peer.stderrText.withLock { $0 })")
    }

    var ready: JSON { readyJSON.withLock { $0 } ?? .null }

    func port(_ key: String = "port") -> Int { Int(ready[key]?.intValue ?? 0) }

    var events: [JSON] {
        lines.withLock { $0 }.compactMap { try? JSON.parse($0) }
    }

    /// Waits (bounded) until at least `count` events match, and returns those.
    func waitForEvents(_ count: Int, timeout: Double = 15, where match: (JSON) -> Bool = { _ in true }) async throws -> [JSON] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let matched = events.filter(match)
            if matched.count >= count { return matched }
            if Date() > deadline {
                throw PeerError(
                    description: "\(name): \(matched.count)/\(count) events after \(timeout)s; stderr: \(stderrText.withLock { $0 })")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Closing stdin makes the peer exit by itself; SIGKILL covers a peer that is stuck
    /// (children of Foundation's Process may not see SIGTERM).
    func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Reads a pipe line by line on its own thread until EOF (the peer exits).
    private func pump(_ handle: FileHandle, _ onLine: @escaping @Sendable (String) -> Void) {
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 0x0A) {
                    onLine(String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...nl)
                }
            }
        }
    }
}
