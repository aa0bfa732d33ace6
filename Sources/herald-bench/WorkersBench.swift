import ArgumentParser
import AsyncHTTPClient
import Foundation
import HeraldAPI
import Logging
import Workers

/// `herald-bench workers`: templates rendered/s, job (de)coding/s, and webhook sends/s from one
/// worker (one JobProcessor, one HTTP client) to a local sink in another process.
struct WorkersBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers", abstract: "Rendering, job coding and webhook sends of one worker.")

    @Option(help: "Seconds per figure.") var seconds = 5.0
    @Option(help: "Webhook sends in flight.") var concurrency = 64

    static let template: JSON = [
        "variables": [["name": "name", "required": true], ["name": "link", "default": "https://example.com/start"]],
        "email": [
            "subject": "Welcome, {{name}}",
            "text": "Hi {{name}},\n\nStart here: {{link}}\n{{#items}}- {{title}}: {{qty}}\n{{/items}}Thanks,\nThe team",
            "html": "<p>Hi <b>{{name}}</b></p><ul>{{#items}}<li>{{title}} × {{qty}}</li>{{/items}}</ul><a href=\"{{link}}\">start</a>",
        ],
        "webhook": ["body": #"{"event":"welcome","name":"{{name}}","link":"{{link}}"}"#],
        "locales": [
            "fr": ["email": ["subject": "Bienvenue, {{name}}", "text": "Bonjour {{name}}, {{link}}", "html": "<p>Bonjour {{name}}</p>"]]
        ],
    ]
    static let variables: JSON = [
        "name": "Ada <Lovelace>", "items": [["title": "a", "qty": 1], ["title": "b", "qty": 2], ["title": "c", "qty": 3]],
    ]

    /// A typical webhook job, as the controller publishes it.
    static func sampleJob(url: String = "http://127.0.0.1:1/hook") -> DeliveryJob {
        DeliveryJob(
            deliveryUID: "5f0c7a4e-9a4e-4d7b-8f1e-3c2b1a0d9e8f", namespace: "default", delivery: "welcome-ada-hooks-ada",
            notification: "welcome-ada", attempt: 1,
            channel: JobChannel(
                name: "hooks", type: "webhook",
                spec: [
                    "type": "webhook", "timeout": "10s",
                    "webhook": [
                        "url": .string(url), "headers": ["X-Team": "ops"], "signingSecretRef": ["name": "hooks", "key": "secret"],
                    ],
                ]),
            template: template, variables: variables,
            recipient: JobRecipient(name: "ada", address: ["email": "ada@example.com"], locale: "fr-CA"),
            correlationID: "c0ffee", idempotencyKey: "5f0c7a4e-9a4e-4d7b-8f1e-3c2b1a0d9e8f-0")
    }

    func run() async throws {
        let template = Self.template
        let variables = Self.variables
        let renderer = TemplateRenderer()
        print(
            "herald-bench workers: \(seconds)s per figure, webhook concurrency \(concurrency), \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
        )
        try measure("render email (subject+text+html), default") {
            _ = try renderer.render(template, channelType: "smtp", variables: variables, locale: nil)
        }
        try measure("render email, locale fr-CA → fr") {
            _ = try renderer.render(template, channelType: "smtp", variables: variables, locale: "fr-CA")
        }
        try measure("render webhook body (JSON-escaped)") {
            _ = try renderer.render(template, channelType: "webhook", variables: variables, locale: nil)
        }
        measure("TemplateAnalysis.missingVariables") {
            _ = TemplateAnalysis.missingVariables(
                template: template, variables: variables, channelTypes: ["smtp", "webhook"], locale: "fr-CA")
        }

        let job = Self.sampleJob()
        let bytes = job.encoded()
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        let foundationBytes = try encoder.encode(job)
        print("job size: \(bytes.count) bytes")
        measure("job encode, HeraldAPI JSON") { _ = job.encoded() }
        try measure("job decode, HeraldAPI JSON") { _ = try DeliveryJob.decode(bytes) }
        try measure("job encode, JSONEncoder (Codable)") { _ = try encoder.encode(job) }
        try measure("job decode, JSONDecoder (Codable)") { _ = try decoder.decode(DeliveryJob.self, from: foundationBytes) }

        // The sink runs as a child process so its CPU is counted apart.
        let sink = try SinkProcess()
        defer { sink.stop() }
        try await webhookSends(job: Self.sampleJob(url: sink.url + "/hook"), sink: sink)
    }

    func measure(_ label: String, _ body: () throws -> Void) rethrows {
        // Warm up the caches (template parse cache, allocator) before timing.
        for _ in 0..<200 { try body() }
        let start = Date()
        var n = 0
        while true {
            for _ in 0..<500 { try body() }
            n += 500
            if Date().timeIntervalSince(start) >= seconds { break }
        }
        let rate = Double(n) / Date().timeIntervalSince(start)
        print(label.padding(toLength: 46, withPad: " ", startingAt: 0) + String(format: "%10.0f /s", rate))
    }

    func webhookSends(job: DeliveryJob, sink: SinkProcess) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let client = StandardDrivers.makeHTTPClient(maxConnectionsPerHost: concurrency)
        let secrets = InMemorySecretResolver([
            SecretData(namespace: "default", name: "hooks", values: ["secret": Array("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".utf8)])
        ])
        let processor = JobProcessor(drivers: [WebhookDriver(client: client)], secrets: secrets, logger: logger)
        let concurrency = self.concurrency

        func sends(duration: Double) async -> (sent: Int, failed: Int, latencies: Samples) {
            let deadline = Date().addingTimeInterval(duration)
            return await withTaskGroup(of: (Int, Int, Samples).self) { group in
                for w in 0..<concurrency {
                    group.addTask {
                        var j = job
                        var sent = 0
                        var failed = 0
                        var latencies = Samples()
                        var i = 0
                        while Date() < deadline {
                            j.deliveryUID = "d-\(w)-\(i)"
                            j.idempotencyKey = "d-\(w)-\(i)-0"
                            i += 1
                            let t0 = now()
                            let r = await processor.process(j)
                            latencies.add(now() - t0)
                            if r.outcome == .delivered { sent += 1 } else { failed += 1 }
                        }
                        return (sent, failed, latencies)
                    }
                }
                var total = (0, 0, Samples())
                for await (s, f, l) in group {
                    total.0 += s
                    total.1 += f
                    total.2.add(contentsOf: l)
                }
                return total
            }
        }

        _ = await sends(duration: 1)  // warm up connections
        let workerCPU0 = ProcessCPU.seconds(pid: getpid())
        let sinkCPU0 = ProcessCPU.seconds(pid: sink.pid)
        let t0 = now()
        let (sent, failed, latencies) = await sends(duration: seconds)
        let elapsed = now() - t0
        let workerCPU = ProcessCPU.seconds(pid: getpid()) - workerCPU0
        let sinkCPU = ProcessCPU.seconds(pid: sink.pid) - sinkCPU0
        try await client.shutdown()
        print(
            "webhook sends (signed, rendered, 1 worker)".padding(toLength: 46, withPad: " ", startingAt: 0)
                + String(format: "%10.0f /s  (%d sent, %d failed, %.1fs)", Double(sent) / elapsed, sent, failed, elapsed))
        print(
            String(
                format: "  latency %@; CPU per send: worker %.3f ms, sink %.3f ms", latencies.summary,
                workerCPU * 1000 / Double(max(1, sent)), sinkCPU * 1000 / Double(max(1, sent))))
    }
}
