import Foundation

/// Starts Herald's roles as real processes of the built `herald` executable, each logging to a
/// file under one scratch directory (named in failure messages), and stops them all at the end.
final class HeraldProcesses: Sendable {
    let directory: URL
    private let started = LockedValue<[ChildProcess]>([])
    private let clients = LockedValue<[HeraldClient]>([])

    init(_ test: String) throws {
        directory = try IntegrationEnvironment.scratchDirectory(test)
    }

    private func spawn(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let index = started.withLock { $0.count }
        let child = try ChildProcess(
            name: "herald \(name)", executable: try Binaries.herald(), arguments: arguments,
            logPath: directory.appendingPathComponent("\(index)-\(name).log").path,
            environment: ["HERALD_LOG_LEVEL": IntegrationEnvironment.variables["HERALD_TEST_LOG_LEVEL"] ?? "info"])
        started.withLock { $0.append(child) }
        return child
    }

    /// `herald serve --broker amqp://…`: API, controller and workers in one process on an
    /// embedded SQLite store of its own.
    func serve(broker: String, workerConcurrency: Int = 64) async throws -> (ChildProcess, HeraldClient) {
        let process = try spawn(
            "serve",
            [
                "serve", "--listen", "127.0.0.1:0", "--data-dir", directory.appendingPathComponent("data").path, "--broker", broker,
                "--worker-concurrency", String(workerConcurrency),
            ])
        return (process, try await client(for: process))
    }

    /// `herald apiserver --store …`.
    func apiserver(store: String) async throws -> (ChildProcess, HeraldClient) {
        let process = try spawn("apiserver", ["apiserver", "--listen", "127.0.0.1:0", "--store", store])
        return (process, try await client(for: process))
    }

    /// `herald controller --store … --broker …`, its operations endpoint on a port of the kernel's
    /// choice (several run at once).
    func controller(store: String, broker: String) throws -> ChildProcess {
        try spawn("controller", ["controller", "--metrics-listen", "127.0.0.1:0", "--store", store, "--broker", broker])
    }

    /// `herald worker --broker … --server …`, its operations endpoint on a port of the kernel's choice.
    func worker(broker: String, server: String, concurrency: Int = 64) throws -> ChildProcess {
        try spawn(
            "worker",
            [
                "worker", "--metrics-listen", "127.0.0.1:0", "--broker", broker, "--server", server, "--worker-concurrency",
                String(concurrency),
            ])
    }

    private func client(for process: ChildProcess) async throws -> HeraldClient {
        let port = try await process.waitForListeningPort()
        let client = HeraldClient(server: "http://127.0.0.1:\(port)")
        clients.withLock { $0.append(client) }
        return client
    }

    /// Stops every process still running (SIGTERM, then SIGKILL) and closes the clients.
    func stopAll() async {
        for process in started.withLock({ $0 }).reversed() { await process.stop() }
        for client in clients.withLock({ $0 }) { await client.shutdown() }
    }

    /// The tail of every process log, for failure messages.
    var logs: String {
        started.withLock { $0 }.map { "--- \($0.name) (\($0.logPath))\n\($0.log.suffix(1500))" }.joined(separator: "\n")
    }
}

/// Runs `body` with a fresh vhost, a webhook sink and a process set, and tears all of it down
/// (also when the body throws), so a failing test leaves no process or vhost behind.
func withHerald(
    _ test: String, sink: WebhookSink = WebhookSink(), node: PrivateRabbitMQNode? = nil,
    _ body: (RabbitMQVirtualHost, WebhookSink, HeraldProcesses) async throws -> Void
) async throws {
    let vhost =
        if let node {
            try await RabbitMQVirtualHost.create(baseURL: node.url, rabbitmqctl: node.rabbitmqctl)
        } else {
            try await RabbitMQVirtualHost.create()
        }
    let processes: HeraldProcesses
    do {
        processes = try HeraldProcesses(test)
        try await sink.start()
    } catch {
        await vhost.delete()
        throw error
    }
    do {
        try await body(vhost, sink, processes)
    } catch {
        await processes.stopAll()
        await sink.stop()
        await vhost.delete()
        throw IntegrationFailure("\(error)\n\(processes.logs)")
    }
    await processes.stopAll()
    await sink.stop()
    await vhost.delete()
    // Logs and data of a passing test are of no further use; a failing one keeps them (the
    // error names the directory).
    try? FileManager.default.removeItem(at: processes.directory)
}
