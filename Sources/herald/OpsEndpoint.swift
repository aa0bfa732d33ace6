import APIServer
import Broker
import Controller
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Store

/// The operations endpoint of the roles that serve no API (`herald controller`, `herald
/// worker`), for Kubernetes probes and Prometheus: `GET /healthz` and `/livez` (the process
/// answers: 200 `ok`), `GET /readyz` (200 `ok` while ``ReadinessCheck`` passes, else 503 with
/// the reason) and `GET /metrics` (the role's Prometheus registry). Anything else is 404.
/// `serve` and `apiserver` answer the same paths on the API's port instead.
///
/// A `Service`: it stops listening on graceful shutdown.
struct OpsEndpoint: Service {
    let address: ListenAddress
    let registry: PrometheusCollectorRegistry
    let readiness: any ReadinessCheck
    let logger: Logger
    /// Called with the bound port once listening (the kernel's choice for port 0).
    var onListening: @Sendable (Int) async -> Void = { _ in }

    func run() async throws {
        let address = self.address
        let logger = self.logger
        let onListening = self.onListening
        let app = Application(
            responder: OpsResponder(registry: registry, readiness: readiness),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "herald"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                logger.info(
                    "operations endpoint listening (/healthz, /livez, /readyz, /metrics)",
                    metadata: ["address": "\(ListenAddress(host: address.host, port: port))"])
                await onListening(port)
            },
            logger: logger)
        try await app.run()
    }
}

/// What `/readyz` answers.
enum Readiness: Sendable, Equatable {
    /// Ready; a `note` ("leader") shows in the body as `ok (leader)`.
    case ready(note: String? = nil)
    /// Not ready, and why (the first line of the 503 body).
    case notReady(String)
}

/// A role's readiness, asked on every `/readyz`.
protocol ReadinessCheck: Sendable {
    func check() async -> Readiness
}

/// The controller is ready while its store answers a ping, leader or standby alike (a standby is
/// healthy: it takes over when the leader goes); the body says which.
struct ControllerReadiness: ReadinessCheck {
    let pingStore: @Sendable () async throws -> Void
    let isLeading: @Sendable () -> Bool

    init(pingStore: @escaping @Sendable () async throws -> Void, isLeading: @escaping @Sendable () -> Bool) {
        self.pingStore = pingStore
        self.isLeading = isLeading
    }

    init(store: any Store, controller: Controller) {
        self.init(pingStore: { try await store.ping() }, isLeading: { controller.isLeading })
    }

    func check() async -> Readiness {
        do {
            try await pingStore()
        } catch {
            return .notReady("store ping failed: \(error)")
        }
        return .ready(note: isLeading() ? "leader" : "standby")
    }
}

/// The worker is ready while its broker connection is up (RabbitMQ's `isConnected`; the
/// embedded broker always is).
struct WorkerReadiness: ReadinessCheck {
    let isBrokerConnected: @Sendable () -> Bool

    init(isBrokerConnected: @escaping @Sendable () -> Bool) {
        self.isBrokerConnected = isBrokerConnected
    }

    init(broker: any MessageBroker) {
        self.init(isBrokerConnected: { broker.isConnected })
    }

    func check() async -> Readiness {
        isBrokerConnected() ? .ready() : .notReady("broker unavailable: not connected to RabbitMQ (reconnecting)")
    }
}

/// Answers the operations endpoint's four paths.
struct OpsResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let registry: PrometheusCollectorRegistry
    let readiness: any ReadinessCheck

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .get else { return Self.notFound(request.uri.path) }
        switch request.uri.path {
        case "/healthz", "/livez":
            return Response.plainText("ok")
        case "/readyz":
            switch await readiness.check() {
            case .ready(let note):
                return Response.plainText(note.map { "ok (\($0))" } ?? "ok")
            case .notReady(let reason):
                return Response.plainText("\(reason)\nreadyz check failed", status: .serviceUnavailable)
            }
        case "/metrics":
            return Response.plainText(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        default:
            return Self.notFound(request.uri.path)
        }
    }

    static func notFound(_ path: String) -> Response {
        Response.plainText("404 page not found: \(path)\nserved here: /healthz, /livez, /readyz, /metrics", status: .notFound)
    }
}
