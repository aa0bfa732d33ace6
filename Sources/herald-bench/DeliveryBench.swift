import ArgumentParser
import AsyncHTTPClient
import Foundation
import HeraldAPI

/// `herald-bench deliveries`: issue 3's end-to-end figures. N notifications × M recipients go
/// through the API, the controller and RabbitMQ to a local webhook sink, with every role in its
/// own process: deliveries/s, apply→Delivered latency (burst and idle), CPU per delivery summed
/// over every process involved, RabbitMQ's raw ceiling for the same number of messages, and a
/// variant where every first attempt gets a 503.
struct DeliveryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "End-to-end deliveries through RabbitMQ to a local webhook sink.")

    @Option(help: "RabbitMQ URL (default HERALD_BENCH_AMQP_URL or HERALD_TEST_AMQP_URL).") var broker: String?
    @Option(help: "PostgreSQL URL (default HERALD_BENCH_POSTGRES_URL or HERALD_TEST_POSTGRES_URL); none: SQLite.")
    var postgres: String?
    @Flag(help: "Use the embedded SQLite store even when a PostgreSQL URL is known.") var sqlite = false
    @Option(help: "Notifications in the burst.") var notifications = 2000
    @Option(help: "Recipients per notification.") var recipients = 10
    @Option(help: "Single notifications sent one at a time on the idle system.") var idle = 20
    // 16 clients created the burst more slowly than Herald takes it in: the API server's and the
    // controller's group commits stayed small, and the run measured the clients' pacing (about
    // 15 % more CPU per delivery, 10–20 % less throughput than with 64 on the same build).
    @Option(help: "Concurrent API clients creating the burst (a burst is meant to arrive faster than it is delivered).")
    var clients = 64
    @Option(help: "Jobs in flight in the worker.") var workerConcurrency = 256
    @Flag(help: "On PostgreSQL, run API, controller and worker in one `herald serve` instead of three processes.")
    var oneProcess = false
    @Flag(help: "Skip the variant where every first attempt gets a 503.") var skipRetryVariant = false
    @Flag(help: "Print the burst's notifications created and deliveries ended per half second.") var timeline = false
    @Option(help: "Seconds a phase may take before the run fails.") var timeout = 300.0

    func run() async throws {
        let env = BenchEnvironment.env
        guard let amqp = broker ?? env["HERALD_BENCH_AMQP_URL"] ?? env["HERALD_TEST_AMQP_URL"], !amqp.isEmpty else {
            throw ValidationError("give --broker amqp://USER:PASS@HOST:PORT/VHOST (scripts/rabbitmq-start.sh starts a private node)")
        }
        let pgBase = sqlite ? nil : (postgres ?? env["HERALD_BENCH_POSTGRES_URL"] ?? env["HERALD_TEST_POSTGRES_URL"])
        let run = UUID().uuidString.prefix(8).lowercased()
        let vhost = "herald-bench-\(run)"
        let brokerURL = BenchEnvironment.freshVhost(amqp, name: vhost) ?? amqp
        defer { if brokerURL != amqp { BenchEnvironment.rabbitmqctl(["delete_vhost", vhost]) } }
        let schema = "herald_bench_\(run)"
        let storeURL = pgBase.map { $0 + ($0.contains("?") ? "&" : "?") + "schema=\(schema)&sslmode=disable" }
        let total = notifications * recipients

        say("herald-bench deliveries: \(notifications) notifications × \(recipients) recipients = \(total) deliveries")
        say(
            "store: \(storeURL == nil ? "embedded SQLite (herald serve)" : "PostgreSQL, schema \(schema) (apiserver, controller, worker apart)")"
        )
        say("broker: RabbitMQ\(brokerURL == amqp ? "" : ", fresh vhost \(vhost)"); persistent messages, publisher confirms, manual acks")
        if BenchEnvironment.rabbitMQPID() == nil { say("note: RabbitMQ's CPU is not counted (HERALD_TEST_RABBITMQ_PID_FILE unset)") }
        if storeURL != nil, BenchEnvironment.postgresPID() == nil {
            say("note: PostgreSQL's CPU is not counted (HERALD_TEST_POSTGRES_DIR unset)")
        }

        say(String(format: "machine: CPU probe %.3f s (fixed single-core work; lower is faster)", CPUProbe.seconds()))

        let job = WorkersBench.sampleJob().encoded()
        let ceiling = try await BrokerCeiling.measure(url: brokerURL, count: total, body: job)
        say(
            String(
                format:
                    "broker-only ceiling: %.0f msgs/s (%d messages of %d bytes published with confirms and consumed with acks in %.2f s)",
                ceiling.messagesPerSecond, total, job.count, ceiling.seconds))

        // Runs after the stack stops (defers run in reverse); a failed run keeps its schema.
        var dropSchema = false
        defer {
            if dropSchema, let pgBase, !BenchEnvironment.dropSchema(schema, postgresURL: pgBase) {
                say("note: could not drop schema \(schema) (no psql?); drop it with: DROP SCHEMA \(schema) CASCADE")
            }
        }
        let stack = try HeraldStack(broker: brokerURL, store: storeURL, workerConcurrency: workerConcurrency, oneProcess: oneProcess)
        defer { stack.stop() }
        do {
            try await BenchClient.with(base: stack.apiURL, clients: clients) { api in
                try await api.waitReady()
                let writes = storeURL == nil ? nil : pgBase.map { StoreWrites(postgresURL: $0, schema: schema) }
                try await measure(api, stack: stack, ceiling: ceiling, run: String(run), writes: writes)
            }
        } catch {
            say("herald logs kept: \(stack.logFiles.map(\.path).joined(separator: " "))")
            if let pgBase { say("schema \(schema) kept (drop it with: psql \(pgBase) -c 'DROP SCHEMA \(schema) CASCADE')") }
            stack.keepLogs = true
            throw error
        }
        dropSchema = true
    }

    func measure(
        _ api: BenchClient, stack: HeraldStack, ceiling: BrokerCeiling.Figures, run: String, writes: StoreWrites?
    ) async throws {
        let total = notifications * recipients
        let ns = "bench-\(run)"
        try await BenchFixture.create(
            api, namespace: ns, sink: stack.sink.url, failFirstSink: stack.failFirstSink.url, recipients: recipients)

        // Warm-up: connections, caches and JIT-free but lazily built paths, before anything is timed.
        _ = try await burst(api, namespace: ns, prefix: "warm", count: 2, channel: "hook", group: "idle", expected: 2)

        let cpu0 = stack.cpu()
        let rv0 = writes?.revision()
        let burst = try await burst(api, namespace: ns, prefix: "n", count: notifications, channel: "hook", group: "burst", expected: total)
        let cpu = stack.cpu().minus(cpu0)
        let rate = Double(total) / burst.seconds
        say(
            String(
                format: "end to end: %d deliveries in %.2f s → %.0f deliveries/s (%.0f%% of the broker-only ceiling)", total, burst.seconds,
                rate, rate / ceiling.messagesPerSecond * 100))
        if burst.failed > 0 { say("  \(burst.failed) deliveries failed") }
        say("apply→Delivered, burst:        \(burst.latencies.summary)")
        say(String(format: "CPU per delivery:              %.3f ms  (%@)", cpu.total * 1000 / Double(total), cpu.breakdown(per: total)))
        // Said because the rate follows from it: with every CPU busy, deliveries/s is the CPUs
        // divided by the CPU per delivery, and a slow minute of a shared machine shows in both.
        let busy = String(format: "%.0f%% of %d CPUs busy", burst.busy * 100, ProcessInfo.processInfo.activeProcessorCount)
        let own = String(format: "%.2f CPUs", burst.ownCPU / burst.seconds)
        say("machine during the burst:      \(busy); this benchmark's own clients and watch used \(own) (not counted above)")
        if timeline { for line in burst.timeline { say(line) } }
        // The burst's tail (notification status, events) settles first: the store writes count
        // it, and idle means idle.
        try await stack.waitQuiet(timeout: 60)
        if let writes, let rv0, let summary = writes.summary(since: rv0, deliveries: total) {
            say("store writes:                  \(summary)")
        }

        var idleLatencies = Samples()
        for i in 0..<idle {
            let single = try await self.burst(api, namespace: ns, prefix: "idle\(i)", count: 1, channel: "hook", group: "idle", expected: 1)
            idleLatencies.add(contentsOf: single.latencies)
            try await Task.sleep(for: .milliseconds(200))
        }
        if idle > 0 { say("apply→Delivered, idle:         \(idleLatencies.summary)") }

        if !skipRetryVariant {
            try await stack.waitQuiet(timeout: 60)
            let before = try await api.sinkStats(stack.failFirstSink.url)
            let retryCPU0 = stack.cpu()
            let retryRV0 = writes?.revision()
            let retried = try await self.burst(
                api, namespace: ns, prefix: "r", count: notifications, channel: "hook503", group: "burst", expected: total)
            let retryCPU = stack.cpu().minus(retryCPU0)
            let after = try await api.sinkStats(stack.failFirstSink.url)
            say(
                String(
                    format:
                        "503-first variant (1 s backoff): %d deliveries in %.2f s → %.0f deliveries/s; sink saw %d requests; apply→Delivered %@",
                    total, retried.seconds, Double(total) / retried.seconds, after.requests - before.requests, retried.latencies.summary))
            say(
                String(
                    format: "  CPU per delivery (2 attempts each): %.3f ms  (%@)", retryCPU.total * 1000 / Double(total),
                    retryCPU.breakdown(per: total)))
            try await stack.waitQuiet(timeout: 60)
            if let writes, let retryRV0, let summary = writes.summary(since: retryRV0, deliveries: total) {
                say("  store writes:                \(summary)")
            }
        }
    }

    struct BurstResult {
        var seconds: Double
        var latencies: Samples
        var failed: Int
        /// Empty unless `--timeline` asked for it.
        var timeline: [String]
        /// The share of all CPUs busy, and this process's CPU seconds, from the first create to the last end.
        var busy: Double
        var ownCPU: Double
    }

    /// Creates `count` notifications to the recipients of `group` through `channel` from
    /// `clients` concurrent clients and waits for all `expected` deliveries to end. The time runs
    /// from the first create request to the last Delivered event.
    func burst(
        _ api: BenchClient, namespace: String, prefix: String, count: Int, channel: String, group: String, expected: Int
    ) async throws -> BurstResult {
        let tracker = DeliveryTracker()
        let timeout = self.timeout
        let rv = try await DeliveryTracker.resourceVersion(api, namespace: namespace)
        let watch = Task { try await tracker.follow(api, namespace: namespace, from: rv, seconds: timeout + 60) }
        defer { watch.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        let start = now()
        let machine0 = MachineCPU.now()
        let own0 = ProcessCPU.seconds(pid: getpid())
        let clients = min(self.clients, count)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for c in 0..<clients {
                tasks.addTask {
                    for i in stride(from: c, to: count, by: clients) {
                        let name = "\(prefix)-\(i)"
                        tracker.created(notification: name, at: now())
                        try await api.createNotification(namespace: namespace, name: name, channel: channel, group: group)
                    }
                }
            }
            try await tasks.waitForAll()
        }
        try await tracker.wait(for: expected, timeout: timeout)
        let busy = MachineCPU.now().busyShare(since: machine0)
        let own = ProcessCPU.seconds(pid: getpid()) - own0
        return BurstResult(
            seconds: tracker.lastDelivered - start, latencies: tracker.latencies, failed: tracker.failed,
            timeline: timeline ? tracker.timeline(from: start) : [], busy: busy, ownCPU: own)
    }
}

/// Prints a line at once, also when stdout is a file (progress of a long run stays visible).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
