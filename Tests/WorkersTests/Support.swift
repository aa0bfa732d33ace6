import AsyncHTTPClient
import Foundation
import HeraldAPI
import Logging
import MetricsTestKit
import Synchronization

@testable import Workers

/// A clock the test drives; `sleep` advances it instantly.
final class ManualClock: WorkerClock {
    private let t = Mutex<Double>(1000)
    let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    func now() -> Double { t.withLock { $0 } }
    func date() -> Date { epoch.addingTimeInterval(now()) }
    func sleep(seconds: Double) async throws { advance(seconds) }
    func advance(_ s: Double) { t.withLock { $0 += s } }
}

/// A driver that answers what the test scripts.
final class ScriptedDriver: ChannelDriver {
    let channelType: String
    private let script = Mutex<[Result<SendReceipt, DeliveryError>]>([])
    private let sentCount = Mutex(0)

    init(channelType: String = "webhook") {
        self.channelType = channelType
    }

    func push(_ r: Result<SendReceipt, DeliveryError>, times: Int = 1) {
        script.withLock { s in for _ in 0..<times { s.append(r) } }
    }

    var sent: Int { sentCount.withLock { $0 } }

    func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        sentCount.withLock { $0 += 1 }
        let next = script.withLock { $0.isEmpty ? .success(SendReceipt(providerMessageID: "id")) : $0.removeFirst() }
        return try next.get()
    }
}

enum Fixtures {
    static func job(
        type: String = "webhook", channel: String = "hooks", spec: JSON = [:],
        template: JSON = ["webhook": ["body": "{\"n\":\"{{name}}\"}"], "chat": ["text": "hi {{name}}"], "sms": ["text": "hi {{name}}"]],
        variables: JSON = ["name": "Ada"], address: JSON = [:], attempt: Int = 1, uid: String = "uid-1", deadline: Date? = nil
    ) -> DeliveryJob {
        var fullSpec: JSONObject = spec.objectValue ?? [:]
        fullSpec["type"] = .string(type)
        return DeliveryJob(
            deliveryUID: uid, namespace: "default", delivery: "d-\(uid)", notification: "n", attempt: attempt,
            channel: JobChannel(name: channel, type: type, spec: .object(fullSpec)), template: template, variables: variables,
            recipient: JobRecipient(name: "ada", address: address, locale: nil), priority: .normal, correlationID: "corr-\(uid)",
            idempotencyKey: "\(uid)-0", deadline: deadline)
    }

    static let quietLogger: Logger = {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }()
}

extension Fixtures {
    static func secret(_ name: String, _ values: [String: String]) -> SecretData {
        SecretData(namespace: "default", name: name, values: values.mapValues { Array($0.utf8) })
    }

    static func processor(
        _ drivers: [any ChannelDriver], secrets: [SecretData] = [], metrics: WorkerMetrics = WorkerMetrics(factory: TestMetrics()),
        configuration: JobProcessor.Configuration = .init()
    ) -> JobProcessor {
        JobProcessor(
            drivers: drivers, secrets: InMemorySecretResolver(secrets), metrics: metrics, logger: quietLogger, configuration: configuration)
    }
}

extension JSON {
    /// Array element access for assertions.
    subscript(index: Int) -> JSON? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }
}

/// Runs `body` with a provider HTTP client and shuts the client down afterwards.
func withHTTPClient<T>(trustRootsPEMFile: String? = nil, _ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = StandardDrivers.makeHTTPClient(trustRootsPEMFile: trustRootsPEMFile)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
