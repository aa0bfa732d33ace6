import Foundation
import Store
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension PostgresTests {
    /// Two `herald lease-holder` processes contend for one lease; the holder dies by SIGKILL (no
    /// release), and the other takes over once the lease expired, with a higher fencing version.
    @Suite("Lease contenders in separate processes")
    struct LeaseProcesses {
        @Test func holderKilledOtherTakesOverAfterExpiry() async throws {
            let binary = try LeaseHolderProcess.heraldBinary()
            try await PostgresTestEnvironment.withSchema { schema in
                let url = try #require(PostgresTestEnvironment.url)
                let store = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)&sslmode=disable"
                let duration = 3.0
                let lease = "leader-\(schema)"

                let a = try LeaseHolderProcess(binary: binary, store: store, lease: lease, holder: "a", duration: duration)
                defer { a.kill(SIGKILL) }
                let acquiredA = try await a.waitFor("acquired", seconds: 30)
                let b = try LeaseHolderProcess(binary: binary, store: store, lease: lease, holder: "b", duration: duration)
                defer { b.kill(SIGTERM) }
                _ = try await b.waitFor("contending", seconds: 30)
                // While a renews, b never gets the lease.
                try await Task.sleep(for: .seconds(duration * 1.5))
                #expect(b.lines.allSatisfy { !$0.hasPrefix("acquired") })
                #expect(a.lines.contains { $0.hasPrefix("renewed") })

                let lastVersionA =
                    a.lines.compactMap { line -> Int64? in
                        let parts = line.split(separator: " ")
                        guard parts.count == 2, ["acquired", "renewed"].contains(parts[0]) else { return nil }
                        return Int64(parts[1])
                    }.max() ?? 0
                #expect(acquiredA.hasPrefix("acquired"))
                let killedAt = Date()
                a.kill(SIGKILL)

                let acquiredB = try await b.waitFor("acquired", seconds: duration + 10)
                let takeover = Date().timeIntervalSince(killedAt)
                // a renewed at most duration/3 before it died, so its lease outlived it by at least 2/3 of the duration.
                #expect(takeover >= duration * 2 / 3 - 0.3, "b took over \(takeover)s after the kill, before a's lease expired")
                #expect(takeover <= duration + 2, "b took \(takeover)s to take over")
                let versionB = Int64(acquiredB.split(separator: " ").last ?? "") ?? 0
                #expect(versionB > lastVersionA, "fencing version must grow: a had \(lastVersionA), b got \(versionB)")
            }
        }
    }
}

/// A `herald lease-holder` child process whose stdout lines are collected as they come.
final class LeaseHolderProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected: [String] = []
    private var partial = ""

    init(binary: URL, store: String, lease: String, holder: String, duration: Double) throws {
        process.executableURL = binary
        process.arguments = [
            "lease-holder", "--store", store, "--name", lease, "--holder", holder, "--duration", String(duration),
            "--log-level", "error",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.take(String(decoding: data, as: UTF8.self))
        }
        try process.run()
    }

    private func take(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        partial += text
        while let newline = partial.firstIndex(of: "\n") {
            collected.append(String(partial[..<newline]))
            partial = String(partial[partial.index(after: newline)...])
        }
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    /// The first line starting with `prefix`.
    func waitFor(_ prefix: String, seconds: Double) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if !process.isRunning { throw TestFailure("lease-holder exited (\(process.terminationStatus)); it printed: \(lines)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no \"\(prefix)\" line within \(seconds)s; got: \(lines)")
    }

    func kill(_ signal: Int32) {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    /// `herald`, built next to the test bundle by `swift build` / `swift test` (or `HERALD_BIN`).
    static func heraldBinary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["HERALD_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("herald")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        throw TestFailure("no herald binary next to the tests: run `swift build` first, or set HERALD_BIN")
    }
}
