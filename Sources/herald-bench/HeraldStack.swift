import Foundation

/// Herald as deployed for a delivery benchmark: on PostgreSQL, `herald apiserver`, `herald
/// controller` and `herald worker` as three processes; on the embedded store, one `herald serve`
/// (API, controller and worker share the SQLite file's process). Plus two webhook sinks.
final class HeraldStack {
    let processes: [HeraldProcess]
    let sink: SinkProcess
    let failFirstSink: SinkProcess
    let apiURL: String
    var keepLogs = false

    init(broker: String, store: String?, workerConcurrency: Int, oneProcess: Bool = false) throws {
        sink = try SinkProcess()
        failFirstSink = try SinkProcess(failFirst: true)
        let concurrency = ["--worker-concurrency", String(workerConcurrency)]
        if let store, oneProcess {
            let serve = try HeraldProcess(role: "serve", arguments: ["--store", store, "--broker", broker] + concurrency)
            processes = [serve]
            apiURL = serve.url
        } else if let store {
            let api = try HeraldProcess(role: "apiserver", arguments: ["--store", store])
            let controller = try HeraldProcess(role: "controller", arguments: ["--store", store, "--broker", broker])
            let worker = try HeraldProcess(role: "worker", arguments: ["--broker", broker, "--server", api.url] + concurrency)
            processes = [api, controller, worker]
            apiURL = api.url
        } else {
            let serve = try HeraldProcess(role: "serve", arguments: ["--broker", broker] + concurrency)
            processes = [serve]
            apiURL = serve.url
        }
    }

    var usesPostgres: Bool { processes.contains { ($0.process.arguments ?? []).contains { $0.hasPrefix("postgres") } } }

    var logFiles: [URL] { processes.map(\.logFile) }

    /// CPU seconds so far of every process a delivery touches.
    func cpu() -> CPUSample {
        var parts: [(String, Double)] = processes.map { ("herald \($0.role)", ProcessCPU.treeSeconds(roots: [$0.pid])) }
        parts.append(("sinks", ProcessCPU.treeSeconds(roots: [sink.pid, failFirstSink.pid])))
        if let pid = BenchEnvironment.rabbitMQPID() { parts.append(("RabbitMQ", ProcessCPU.treeSeconds(roots: [pid]))) }
        if usesPostgres, let pid = BenchEnvironment.postgresPID() {
            parts.append(("PostgreSQL", ProcessCPU.treeSeconds(roots: [pid])))
        }
        return CPUSample(parts: parts)
    }

    /// Waits until Herald's processes use under 5 % of a core over a quarter second.
    func waitQuiet(timeout: Double) async throws {
        let deadline = now() + timeout
        let pids = processes.map(\.pid)
        while now() < deadline {
            let before = ProcessCPU.treeSeconds(roots: pids)
            try await Task.sleep(for: .milliseconds(250))
            if ProcessCPU.treeSeconds(roots: pids) - before < 0.0125 { return }
        }
    }

    func stop() {
        for p in processes.reversed() {
            if keepLogs {
                p.process.terminate()
                p.process.waitUntilExit()
            } else {
                p.stop()
            }
        }
        sink.stop()
        failFirstSink.stop()
    }
}

/// CPU seconds per process group at one moment.
struct CPUSample {
    var parts: [(String, Double)]

    var total: Double { parts.reduce(0) { $0 + $1.1 } }

    func minus(_ earlier: CPUSample) -> CPUSample {
        CPUSample(parts: parts.map { name, value in (name, value - (earlier.parts.first { $0.0 == name }?.1 ?? 0)) })
    }

    /// "herald serve 0.120 ms, RabbitMQ 0.080 ms, …" per operation.
    func breakdown(per count: Int) -> String {
        parts.map { String(format: "%@ %.3f", $0.0, $0.1 * 1000 / Double(max(1, count))) }.joined(separator: ", ")
    }
}
