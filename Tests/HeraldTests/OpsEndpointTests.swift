import AsyncHTTPClient
import Broker
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

@testable import herald

/// The operations endpoint of `herald controller` and `herald worker`, run for real on
/// 127.0.0.1 (port 0) in a `ServiceGroup`, with fake readiness inputs so no store or broker is
/// needed.
@Suite(.timeLimit(.minutes(1)))
struct OpsEndpointTests {
    /// A readiness check that answers what the test sets.
    final class FakeReadiness: ReadinessCheck {
        let answer: Mutex<Readiness>
        init(_ answer: Readiness) { self.answer = Mutex(answer) }
        func check() async -> Readiness { answer.withLock { $0 } }
        func set(_ new: Readiness) { answer.withLock { $0 = new } }
    }

    struct StoreDown: Error, CustomStringConvertible {
        var description: String { "connection refused (127.0.0.1:5432)" }
    }

    @Test func healthzAndLivezAnswerOKWhateverTheReadiness() async throws {
        try await withEndpoint(readiness: FakeReadiness(.notReady("down"))) { url in
            for path in ["/healthz", "/livez"] {
                let (status, body, contentType) = try await get(url + path)
                #expect(status == 200, "\(path)")
                #expect(body == "ok", "\(path)")
                #expect(contentType == "text/plain; charset=utf-8")
            }
        }
    }

    @Test func readyzFollowsTheReadinessCheck() async throws {
        let readiness = FakeReadiness(.ready())
        try await withEndpoint(readiness: readiness) { url in
            var (status, body, _) = try await get(url + "/readyz")
            #expect(status == 200)
            #expect(body == "ok")

            readiness.set(.notReady("broker unavailable: not connected"))
            (status, body, _) = try await get(url + "/readyz")
            #expect(status == 503)
            #expect(body == "broker unavailable: not connected\nreadyz check failed")

            readiness.set(.ready(note: "standby"))
            (status, body, _) = try await get(url + "/readyz")
            #expect(status == 200)
            #expect(body == "ok (standby)")
        }
    }

    @Test func controllerIsReadyWhileItsStoreAnswersAndSaysWhetherItLeads() async throws {
        let storeUp = Atomic<Bool>(true)
        let leading = Atomic<Bool>(false)
        let readiness = ControllerReadiness(
            pingStore: { if !storeUp.load(ordering: .relaxed) { throw StoreDown() } },
            isLeading: { leading.load(ordering: .relaxed) })
        try await withEndpoint(readiness: readiness) { url in
            var (status, body, _) = try await get(url + "/readyz")
            #expect(status == 200)
            #expect(body == "ok (standby)")

            leading.store(true, ordering: .relaxed)
            (status, body, _) = try await get(url + "/readyz")
            #expect(status == 200)
            #expect(body == "ok (leader)")

            storeUp.store(false, ordering: .relaxed)
            (status, body, _) = try await get(url + "/readyz")
            #expect(status == 503)
            #expect(body == "store ping failed: connection refused (127.0.0.1:5432)\nreadyz check failed")
        }
    }

    @Test func workerIsReadyWhileItsBrokerIsConnected() async throws {
        let connected = Atomic<Bool>(false)
        let readiness = WorkerReadiness(isBrokerConnected: { connected.load(ordering: .relaxed) })
        try await withEndpoint(readiness: readiness) { url in
            var (status, body, _) = try await get(url + "/readyz")
            #expect(status == 503)
            #expect(body == "broker unavailable: not connected to RabbitMQ (reconnecting)\nreadyz check failed")

            connected.store(true, ordering: .relaxed)
            (status, body, _) = try await get(url + "/readyz")
            #expect(status == 200)
            #expect(body == "ok")
        }
    }

    @Test func theEmbeddedBrokerIsAlwaysConnected() async {
        #expect(await WorkerReadiness(broker: EmbeddedBroker()).check() == .ready())
    }

    @Test func metricsServeTheRolesRegistry() async throws {
        let registry = PrometheusCollectorRegistry()
        let name = MetricNameDescriptor(namespace: "herald", metricName: "deliveries", unitName: "total", helpText: "Deliveries.")
        registry.makeCounter(descriptor: name, labels: [("outcome", "delivered")]).increment(by: Int64(3))
        try await withEndpoint(readiness: FakeReadiness(.ready()), registry: registry) { url in
            let (status, body, contentType) = try await get(url + "/metrics")
            #expect(status == 200)
            #expect(contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(body.contains(#"herald_deliveries_total{outcome="delivered"} 3"#))
        }
    }

    @Test func anythingElseIsNotFound() async throws {
        try await withEndpoint(readiness: FakeReadiness(.ready())) { url in
            for path in ["/", "/metricsx", "/healthz/extra", "/api", "/readyz/"] {
                let (status, _, _) = try await get(url + path)
                #expect(status == 404, "\(path)")
            }
            let (status, _, _) = try await get(url + "/healthz", method: .POST)
            #expect(status == 404)
        }
    }

    // MARK: Flags

    @Test func eachRoleHasItsOwnDefaultPort() throws {
        // Unless HERALD_METRICS_LISTEN is set where the tests run.
        guard ProcessInfo.processInfo.environment["HERALD_METRICS_LISTEN"] == nil else { return }
        #expect(try ControllerCommand.parse([]).opsAddress() == ListenAddress(host: "127.0.0.1", port: 8081))
        #expect(
            try WorkerCommand.parse([]).opsListen.address(roleDefault: OpsListenOptions.workerDefault)
                == ListenAddress(host: "127.0.0.1", port: 8082))
    }

    @Test func theControllersListenIsItsMetricsListen() throws {
        #expect(try ControllerCommand.parse(["--listen", "127.0.0.1:9100"]).opsAddress().port == 9100)
        #expect(try ControllerCommand.parse(["--metrics-listen", ":9101"]).opsAddress() == ListenAddress(host: "0.0.0.0", port: 9101))
        #expect(try ControllerCommand.parse(["--listen", "[::1]:9102", "--metrics-listen", "[::1]:9102"]).opsAddress().host == "::1")
        #expect(throws: (any Error).self) {
            try ControllerCommand.parse(["--listen", "127.0.0.1:9100", "--metrics-listen", "127.0.0.1:9101"])
        }
        #expect(throws: (any Error).self) { try ControllerCommand.parse(["--metrics-listen", "9100"]).opsAddress() }
    }

    // MARK: Support

    /// Runs the endpoint on a port the kernel picks, calls `body` with its base URL, then shuts the
    /// group down gracefully and checks the endpoint stopped.
    func withEndpoint(
        readiness: any ReadinessCheck, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: (String) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test.ops")
        logger.logLevel = .warning
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let endpoint = OpsEndpoint(
            address: ListenAddress(host: "127.0.0.1", port: 0), registry: registry, readiness: readiness, logger: logger,
            onListening: { portSink.yield($0) })
        let group = ServiceGroup(services: [endpoint], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestError("the endpoint never listened") }
            #expect(Self.accepts(port: port))
            do {
                try await body("http://127.0.0.1:\(port)")
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            // run() returns once the server has closed: graceful shutdown works.
            try await tasks.waitForAll()
            #expect(!Self.accepts(port: port), "still listening after graceful shutdown")
        }
    }

    func get(_ url: String, method: HTTPMethod = .GET) async throws -> (Int, String, String?) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body), response.headers.first(name: "content-type"))
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted (an HTTP client would retry a
    /// refused connection until its deadline).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    struct TestError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
