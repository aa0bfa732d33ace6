import AsyncHTTPClient
import Foundation
import HeraldAPI
import Logging
import Metrics
import NIOPosix
import Workers

// herald-bench-workers: templates rendered/s, job (de)coding/s, and webhook sends/s from one
// worker (one JobProcessor, one HTTP client) to a local sink in another process.
//
//   swift run -c release herald-bench-workers [seconds] [concurrency]
//   herald-bench-workers sink      (internal: the sink process)

let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "sink" {
    try BenchSink.run()
    exit(0)
}
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 5 : 5
let concurrency = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64

func measure(_ label: String, seconds: Double, _ body: () throws -> Void) rethrows -> Double {
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
    return rate
}

let template: JSON = [
    "variables": [["name": "name", "required": true], ["name": "link", "default": "https://example.com/start"]],
    "email": [
        "subject": "Welcome, {{name}}",
        "text": "Hi {{name}},\n\nStart here: {{link}}\n{{#items}}- {{title}}: {{qty}}\n{{/items}}Thanks,\nThe team",
        "html": "<p>Hi <b>{{name}}</b></p><ul>{{#items}}<li>{{title}} × {{qty}}</li>{{/items}}</ul><a href=\"{{link}}\">start</a>",
    ],
    "webhook": ["body": #"{"event":"welcome","name":"{{name}}","link":"{{link}}"}"#],
    "locales": ["fr": ["email": ["subject": "Bienvenue, {{name}}", "text": "Bonjour {{name}}, {{link}}", "html": "<p>Bonjour {{name}}</p>"]]],
]
let variables: JSON = ["name": "Ada <Lovelace>", "items": [["title": "a", "qty": 1], ["title": "b", "qty": 2], ["title": "c", "qty": 3]]]
let renderer = TemplateRenderer()

print("herald-bench-workers: \(seconds)s per figure, webhook concurrency \(concurrency), \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
_ = try measure("render email (subject+text+html), default", seconds: seconds) {
    _ = try renderer.render(template, channelType: "smtp", variables: variables, locale: nil)
}
_ = try measure("render email, locale fr-CA → fr", seconds: seconds) {
    _ = try renderer.render(template, channelType: "smtp", variables: variables, locale: "fr-CA")
}
_ = try measure("render webhook body (JSON-escaped)", seconds: seconds) {
    _ = try renderer.render(template, channelType: "webhook", variables: variables, locale: nil)
}
_ = measure("TemplateAnalysis.missingVariables", seconds: seconds) {
    _ = TemplateAnalysis.missingVariables(template: template, variables: variables, channelTypes: ["smtp", "webhook"], locale: "fr-CA")
}

var job = DeliveryJob(
    deliveryUID: "5f0c7a4e-9a4e-4d7b-8f1e-3c2b1a0d9e8f", namespace: "default", delivery: "welcome-ada-hooks-ada", notification: "welcome-ada",
    attempt: 1, channel: JobChannel(name: "hooks", type: "webhook", spec: [
        "type": "webhook", "timeout": "10s",
        "webhook": ["url": "http://127.0.0.1:1/hook", "headers": ["X-Team": "ops"], "signingSecretRef": ["name": "hooks", "key": "secret"]],
    ]),
    template: template, variables: variables, recipient: JobRecipient(name: "ada", address: ["email": "ada@example.com"], locale: "fr-CA"),
    correlationID: "c0ffee", idempotencyKey: "5f0c7a4e-9a4e-4d7b-8f1e-3c2b1a0d9e8f-0")
let bytes = job.encoded()
let encoder = JSONEncoder()
let decoder = JSONDecoder()
let foundationBytes = try encoder.encode(job)
print("job size: \(bytes.count) bytes")
_ = measure("job encode, HeraldAPI JSON", seconds: seconds) { _ = job.encoded() }
_ = try measure("job decode, HeraldAPI JSON", seconds: seconds) { _ = try DeliveryJob.decode(bytes) }
_ = try measure("job encode, JSONEncoder (Codable)", seconds: seconds) { _ = try encoder.encode(job) }
_ = try measure("job decode, JSONDecoder (Codable)", seconds: seconds) { _ = try decoder.decode(DeliveryJob.self, from: foundationBytes) }

// Webhook sends: the sink runs as a child process so its CPU is counted apart.
let sink = Process()
sink.executableURL = URL(fileURLWithPath: arguments[0])
sink.arguments = ["sink"]
let pipe = Pipe()
sink.standardOutput = pipe
try sink.run()
var portLine = ""
while !portLine.hasSuffix("\n") {
    let d = pipe.fileHandleForReading.availableData
    if d.isEmpty { break }
    portLine += String(decoding: d, as: UTF8.self)
}
guard let port = Int(portLine.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "PORT ", with: "")) else {
    print("sink did not start")
    sink.terminate()
    exit(1)
}
job.channel.spec["webhook"]?["url"] = .string("http://127.0.0.1:\(port)/hook")
let sendJob = job

var logger = Logger(label: "bench")
logger.logLevel = .error
let client = StandardDrivers.makeHTTPClient(maxConnectionsPerHost: concurrency)
let secrets = InMemorySecretResolver([SecretData(namespace: "default", name: "hooks", values: ["secret": Array("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".utf8)])])
let processor = JobProcessor(drivers: [WebhookDriver(client: client)], secrets: secrets, logger: logger)

func runSends(duration: Double, job: DeliveryJob) async -> (sent: Int, failed: Int, latencies: [Double]) {
    let deadline = Date().addingTimeInterval(duration)
    return await withTaskGroup(of: (Int, Int, [Double]).self) { group in
        for w in 0..<concurrency {
            group.addTask {
                var j = job
                var sent = 0, failed = 0
                var lat: [Double] = []
                var i = 0
                while Date() < deadline {
                    j.deliveryUID = "d-\(w)-\(i)"
                    j.idempotencyKey = "d-\(w)-\(i)-0"
                    i += 1
                    let t0 = Date()
                    let r = await processor.process(j)
                    lat.append(Date().timeIntervalSince(t0))
                    if r.outcome == .delivered { sent += 1 } else { failed += 1 }
                }
                return (sent, failed, lat)
            }
        }
        var total = (0, 0, [Double]())
        for await (s, f, l) in group {
            total.0 += s
            total.1 += f
            total.2 += l
        }
        return total
    }
}

_ = await runSends(duration: 1, job: sendJob)  // warm up connections
let workerCPU0 = CPUTime.milliseconds(pid: getpid())
let sinkCPU0 = CPUTime.milliseconds(pid: sink.processIdentifier)
let t0 = Date()
let (sent, failed, latencies) = await runSends(duration: seconds, job: sendJob)
let elapsed = Date().timeIntervalSince(t0)
let workerCPU = CPUTime.milliseconds(pid: getpid()) - workerCPU0
let sinkCPU = CPUTime.milliseconds(pid: sink.processIdentifier) - sinkCPU0
let sorted = latencies.sorted()
func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
print("webhook sends (signed, rendered, 1 worker)".padding(toLength: 46, withPad: " ", startingAt: 0) + String(format: "%10.0f /s  (%d sent, %d failed, %.1fs)", Double(sent) / elapsed, sent, failed, elapsed))
print(String(format: "  latency p50 %.2f ms, p99 %.2f ms; CPU per send: worker %.3f ms, sink %.3f ms", pct(0.5), pct(0.99), workerCPU / Double(max(1, sent)), sinkCPU / Double(max(1, sent))))

try await client.shutdown()
sink.terminate()
sink.waitUntilExit()
