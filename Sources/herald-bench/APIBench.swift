import ArgumentParser
import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore
import NIOHTTP1
import Synchronization

/// Issue 2's figures: creates/s at 32 clients, create latency at a fixed 500 req/s, get and list
/// rates, and write→watch-event latency, against a `herald serve` it starts (or `--server`).
struct APIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Benchmark the resource API.")

    @Option(help: "Benchmark this server instead of starting `herald serve`.") var server: String?
    @Option(help: "Extra arguments for the started server, e.g. --store postgres://…") var serverArgs: String = ""
    @Option(help: "Concurrent clients for the throughput phases.") var clients = 32
    @Option(help: "Seconds per phase.") var seconds = 10.0
    @Option(help: "Rate of the fixed-rate phase, requests per second.") var rate = 500.0

    func run() async throws {
        var started: HeraldProcess?
        let base: String
        if let server {
            base = server
        } else {
            let p = try HeraldProcess(role: "serve", arguments: serverArgs.split(separator: " ").map(String.init))
            started = p
            base = p.url
        }
        defer { started?.stop() }
        try await BenchClient.with(base: base, clients: clients) { api in try await measure(api, server: started) }
    }

    func measure(_ api: BenchClient, server: HeraldProcess?) async throws {
        let base = api.base
        try await api.waitReady()
        let run = UUID().uuidString.prefix(6).lowercased()
        print("herald-bench api: server \(base), \(clients) clients, \(Int(seconds)) s per phase")

        let cpuBefore = server?.cpuSeconds ?? 0
        let creates = try await api.closedLoop(clients: clients, seconds: seconds) { i, c in
            try await api.create(namespace: "bench-\(run)", name: "c\(c)-\(i)")
        }
        print(String(format: "creates/s (%d clients):        %8.0f  [%@]", clients, creates.rate, creates.latency.summary))
        if let server {
            let perCreate = (server.cpuSeconds - cpuBefore) / Double(creates.latency.values.count) * 1e6
            print(String(format: "server CPU per create:         %8.0f µs", perCreate))
        }

        let fixed = try await api.openLoop(rate: rate, seconds: seconds) { i in
            try await api.create(namespace: "bench-\(run)-fixed", name: "f\(i)")
        }
        print(
            String(
                format: "create latency at %.0f req/s:  %@ (achieved %.0f req/s, %d errors)", rate, fixed.latency.summary, fixed.rate,
                fixed.errors))

        let gets = try await api.closedLoop(clients: clients, seconds: seconds / 2) { i, c in
            try await api.get(namespace: "bench-\(run)", name: "c\(c)-\(i % 50)")
        }
        print(String(format: "gets/s (%d clients):           %8.0f  [%@]", clients, gets.rate, gets.latency.summary))

        for i in 0..<100 { try await api.create(namespace: "bench-\(run)-list", name: "l\(i)") }
        let lists = try await api.closedLoop(clients: clients, seconds: seconds / 2) { _, _ in
            try await api.list(namespace: "bench-\(run)-list")
        }
        print(String(format: "lists/s of 100 objects:        %8.0f  [%@]", lists.rate, lists.latency.summary))

        let watch = try await api.watchLatency(namespace: "bench-\(run)-watch", count: Int(seconds * 100), rate: 200)
        print("write→watch-event latency:     \(watch.summary)")
    }
}

struct PhaseResult {
    var rate: Double
    var latency: Samples
    var errors: Int
}

struct BenchClient: Sendable {
    let http: HTTPClient
    let base: String

    /// Runs `body` with a client for `base` pooling enough connections for `clients`, and shuts
    /// the client down afterwards, also when `body` throws.
    static func with<T>(base: String, clients: Int, _ body: (BenchClient) async throws -> T) async throws -> T {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients + 8)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let result = try await body(BenchClient(http: http, base: base))
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    func waitReady() async throws {
        for _ in 0..<100 {
            if let r = try? await http.execute(HTTPClientRequest(url: base + "/readyz"), timeout: .seconds(1)), r.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the server at \(base) did not become ready")
    }

    func path(_ namespace: String) -> String {
        "\(base)/apis/herald.dev/v1alpha1/namespaces/\(namespace)/notifications"
    }

    func create(namespace: String, name: String) async throws {
        var request = HTTPClientRequest(url: path(namespace))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: JSON = [
            "apiVersion": "herald.dev/v1alpha1", "kind": "Notification",
            "metadata": ["name": .string(name), "labels": ["bench": "yes"]],
            "spec": [
                "message": ["subject": "bench", "text": "hello"], "to": [["address": ["email": "a@example.com"]]], "channels": ["log"],
            ],
        ]
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        let response = try await http.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else { throw BenchError("create answered \(response.status)") }
    }

    func get(namespace: String, name: String) async throws {
        let response = try await http.execute(HTTPClientRequest(url: "\(path(namespace))/\(name)"), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError("get answered \(response.status)") }
    }

    func list(namespace: String) async throws {
        let response = try await http.execute(HTTPClientRequest(url: path(namespace)), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { throw BenchError("list answered \(response.status)") }
    }

    /// `clients` workers issue requests back to back for `seconds`.
    func closedLoop(clients: Int, seconds: Double, _ op: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> PhaseResult {
        let start = now()
        let deadline = start + seconds
        let results = try await withThrowingTaskGroup(of: (Samples, Int).self) { group in
            for c in 0..<clients {
                group.addTask {
                    var samples = Samples()
                    var errors = 0
                    var i = 0
                    while now() < deadline {
                        let t = now()
                        do { try await op(i, c) } catch { errors += 1 }
                        samples.add(now() - t)
                        i += 1
                    }
                    return (samples, errors)
                }
            }
            var all = Samples()
            var errors = 0
            for try await (s, e) in group {
                all.add(contentsOf: s)
                errors += e
            }
            return (all, errors)
        }
        let elapsed = now() - start
        return PhaseResult(rate: Double(results.0.values.count - results.1) / elapsed, latency: results.0, errors: results.1)
    }

    /// Requests at a fixed rate; latency counts from the scheduled start, so a slow server cannot
    /// hide queueing (no coordinated omission).
    func openLoop(rate: Double, seconds: Double, _ op: @escaping @Sendable (Int) async throws -> Void) async throws -> PhaseResult {
        let total = Int(rate * seconds)
        let start = now()
        let results = try await withThrowingTaskGroup(of: (Double, Bool).self) { group in
            for i in 0..<total {
                let scheduled = start + Double(i) / rate
                let wait = scheduled - now()
                if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                group.addTask {
                    do {
                        try await op(i)
                        return (now() - scheduled, true)
                    } catch {
                        return (now() - scheduled, false)
                    }
                }
            }
            var samples = Samples()
            var errors = 0
            for try await (latency, ok) in group {
                samples.add(latency)
                if !ok { errors += 1 }
            }
            return (samples, errors)
        }
        return PhaseResult(rate: Double(total) / (now() - start), latency: results.0, errors: results.1)
    }

    /// Opens a watch, creates `count` objects at `rate`, and measures create-sent → event-received.
    /// The writer is never cancelled: an event may arrive before its create's own response, and
    /// that must not abort the run.
    func watchLatency(namespace: String, count: Int, rate: Double) async throws -> Samples {
        let sent = SentTimes()
        let response = try await http.execute(
            HTTPClientRequest(url: "\(path(namespace))?watch=true&timeoutSeconds=\(Int(Double(count) / rate) + 30)"), timeout: .seconds(600)
        )
        async let samples: Samples = {
            var samples = Samples()
            var lines = LineSplitter()
            for try await chunk in response.body {
                for line in lines.append(chunk.readableBytesView) {
                    let received = now()
                    if let event = try? JSON.parse(line), let name = event["object"]?["metadata"]?["name"]?.stringValue,
                        let t = sent.take(name)
                    {
                        samples.add(received - t)
                    }
                }
                if samples.values.count >= count { break }
            }
            return samples
        }()
        try await Task.sleep(for: .milliseconds(300))
        let start = now()
        for i in 0..<count {
            let wait = start + Double(i) / rate - now()
            if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
            sent.put("w\(i)", now())
            try await create(namespace: namespace, name: "w\(i)")
        }
        return try await samples
    }
}

/// Splits a watch stream (newline-delimited JSON) into lines as chunks arrive.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        pending += bytes
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            lines.append(Array(pending[start..<newline]))
            start = newline + 1
        }
        pending.removeFirst(start)
        return lines
    }
}

final class SentTimes: Sendable {
    let map = Mutex<[String: Double]>([:])
    func put(_ name: String, _ t: Double) { map.withLock { $0[name] = t } }
    func take(_ name: String) -> Double? { map.withLock { $0.removeValue(forKey: name) } }
}
