import ArgumentParser
import AsyncHTTPClient
import Foundation
import HeraldAPI

/// `herald-bench stores`: the same API figures on the embedded SQLite store and on PostgreSQL,
/// from one run, side by side. Each store gets its own `herald apiserver` (started here: the API
/// role alone, so no controller work competes for the CPU), measured over HTTP as clients see it.
struct StoreComparison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stores", abstract: "Compare the SQLite and PostgreSQL stores through the API.")

    @Option(help: "PostgreSQL URL (default: HERALD_BENCH_POSTGRES_URL or HERALD_TEST_POSTGRES_URL).")
    var postgres: String?
    @Option(help: "Concurrent clients for the throughput phase.") var clients = 32
    @Option(help: "Seconds per phase.") var seconds = 10.0
    @Option(help: "Rate of the fixed-rate phase, requests per second.") var rate = 500.0
    @Option(help: "Watch phase: creates per second while a watch is open.") var watchRate = 200.0

    struct Figures {
        var creates: PhaseResult
        var fixed: PhaseResult
        var watch: Samples
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = postgres ?? env["HERALD_BENCH_POSTGRES_URL"] ?? env["HERALD_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw ValidationError("give --postgres postgres://USER:PASS@HOST:PORT/DB (scripts/postgres-start.sh starts a private one)")
        }
        // A fresh schema per run, so PostgreSQL starts as empty as the new SQLite file.
        let schema = "herald_bench_" + UUID().uuidString.prefix(8).lowercased()
        let postgresURL = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
        print("herald-bench stores: \(clients) clients, \(Int(seconds)) s per phase, fixed rate \(Int(rate)) req/s")
        print("PostgreSQL tables in schema \(schema) (drop it with: DROP SCHEMA \(schema) CASCADE)")
        let sqlite = try await measure(label: "sqlite", arguments: [])
        let pg = try await measure(label: "postgres", arguments: ["--store", postgresURL])
        print("")
        print(row("", "SQLite", "PostgreSQL"))
        print(row("creates/s (\(clients) clients)", String(format: "%.0f", sqlite.creates.rate), String(format: "%.0f", pg.creates.rate)))
        print(row("  errors", "\(sqlite.creates.errors)", "\(pg.creates.errors)"))
        print(row("create p50 at \(Int(rate)) req/s", ms(sqlite.fixed.latency.percentile(50)), ms(pg.fixed.latency.percentile(50))))
        print(row("create p99 at \(Int(rate)) req/s", ms(sqlite.fixed.latency.percentile(99)), ms(pg.fixed.latency.percentile(99))))
        print(
            row(
                "  achieved req/s, errors", String(format: "%.0f, %d", sqlite.fixed.rate, sqlite.fixed.errors),
                String(format: "%.0f, %d", pg.fixed.rate, pg.fixed.errors)))
        print(row("write→watch p50", ms(sqlite.watch.percentile(50)), ms(pg.watch.percentile(50))))
        print(row("write→watch p99", ms(sqlite.watch.percentile(99)), ms(pg.watch.percentile(99))))
        print(row("  events seen", "\(sqlite.watch.values.count)", "\(pg.watch.values.count)"))
    }

    func measure(label: String, arguments: [String]) async throws -> Figures {
        let server = try HeraldProcess(role: "apiserver", arguments: arguments)
        defer { server.stop() }
        return try await BenchClient.with(base: server.url, clients: clients) { api in
            try await api.waitReady()
            let run = UUID().uuidString.prefix(6).lowercased()
            print("\(label): measuring …")
            let creates = try await api.closedLoop(clients: clients, seconds: seconds) { i, c in
                try await api.create(namespace: "bench-\(run)", name: "c\(c)-\(i)")
            }
            let fixed = try await api.openLoop(rate: rate, seconds: seconds) { i in
                try await api.create(namespace: "bench-\(run)-fixed", name: "f\(i)")
            }
            let watch = try await api.watchLatency(namespace: "bench-\(run)-watch", count: Int(seconds * watchRate), rate: watchRate)
            return Figures(creates: creates, fixed: fixed, watch: watch)
        }
    }

    func row(_ name: String, _ a: String, _ b: String) -> String {
        name.padding(toLength: 34, withPad: " ", startingAt: 0) + a.leftPadded(12) + b.leftPadded(14)
    }

    func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
