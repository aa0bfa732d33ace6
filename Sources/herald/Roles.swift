import ArgumentParser
import AsyncHTTPClient
import Broker
import Controller
import Foundation
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle
import Store
import Workers

/// `herald controller`: the controller role alone, against a shared store and RabbitMQ. Run
/// several; one leads (store lease), the others wait to take over.
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller", abstract: "Run the controller role alone (leader-elected).",
        discussion: """
            The controller serves no API. Its operations endpoint (--metrics-listen, default \
            \(OpsListenOptions.controllerDefault)) answers /healthz and /livez (the process is up), /readyz (the \
            store answers a ping; the body says "ok (leader)" or "ok (standby)", 503 otherwise) and /metrics \
            (Prometheus text). --listen is another name for --metrics-listen here; HERALD_LISTEN is not read.
            """)

    @OptionGroup var opsListen: OpsListenOptions
    @Option(
        help: ArgumentHelp(
            "Same as --metrics-listen: the controller's one listener is its operations endpoint.", valueName: "host:port"))
    var listen: String?
    @OptionGroup var options: ServerOptions
    @OptionGroup var brokerOptions: BrokerOptions
    @OptionGroup var controllerOptions: ControllerOptions

    func validate() throws {
        if let listen, let metricsListen = opsListen.metricsListen, listen != metricsListen {
            throw ValidationError(
                "--listen and --metrics-listen name the same listener on the controller; give one of them (got \(listen) and \(metricsListen))"
            )
        }
    }

    func opsAddress() throws -> ListenAddress {
        if let listen { return try ListenAddress(listen, flag: "--listen") }
        return try opsListen.address(roleDefault: OpsListenOptions.controllerDefault)
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: options.logLevel)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "herald")
        logger[metadataKey: "role"] = "controller"
        let opsAddress = try opsAddress()
        let store = try options.openStore()
        let broker = try brokerOptions.openBroker(logger: logger)
        let notificationWorkers = controllerOptions.notificationWorkers(on: options)
        logger.info(
            "controller starting",
            metadata: [
                "broker": .string(brokerOptions.redacted), "store": .string(options.storeDescription),
                "allocator": .string(MemoryAllocator.description),
                "notificationWorkers": "\(notificationWorkers)",
            ])
        let role = Roles.controller(store: store, broker: broker, notificationWorkers: notificationWorkers, logger: logger)
        // Shutdown runs in reverse order: the controller stops first, the endpoint last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: OpsEndpoint(
                    address: opsAddress, registry: registry,
                    readiness: ControllerReadiness(store: store, controller: role.controller), logger: logger))
        ]
        if let service = broker as? any Service { services.append(.init(service: service)) }
        services.append(.init(service: role.service))
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

/// `herald worker`: consumes jobs from RabbitMQ and publishes results; reads Secrets from the
/// API server.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run the worker role alone.",
        discussion: """
            The worker serves no API. Its operations endpoint (--metrics-listen, default \
            \(OpsListenOptions.workerDefault)) answers /healthz and /livez (the process is up), /readyz (the \
            broker connection is up, 503 otherwise) and /metrics (Prometheus text).
            """)

    @OptionGroup var opsListen: OpsListenOptions
    @OptionGroup var brokerOptions: BrokerOptions

    @Option(help: "API server the worker reads Secrets from (env HERALD_SERVER).")
    var server: String = ProcessInfo.processInfo.environment["HERALD_SERVER"] ?? "http://127.0.0.1:8080"

    @Option(help: "Bearer token for the API server (env HERALD_TOKEN).")
    var token: String = ProcessInfo.processInfo.environment["HERALD_TOKEN"] ?? ""

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "info"

    func run() async throws {
        LoggingSetup.bootstrap(level: logLevel)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "herald")
        logger[metadataKey: "role"] = "worker"
        let opsAddress = try opsListen.address(roleDefault: OpsListenOptions.workerDefault)
        let broker = try brokerOptions.openBroker(logger: logger)
        let parts = Roles.workerParts()
        defer { parts.shutdown() }
        let api = APIServerReader(baseURL: server, bearerToken: token.isEmpty ? nil : token, client: parts.httpClient)
        let secrets = HTTPSecretResolver(api: api)
        let delayedJobs = HTTPDelayedJobCheck(api: api)
        let worker = Roles.worker(
            broker: broker, secrets: secrets, delayedJobs: delayedJobs, parts: parts,
            concurrency: brokerOptions.workerConcurrency, logger: logger)
        logger.info(
            "worker starting",
            metadata: [
                "broker": .string(brokerOptions.redacted), "server": .string(server), "allocator": .string(MemoryAllocator.description),
            ])
        // Shutdown runs in reverse order: the worker stops consuming first, the endpoint goes last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: OpsEndpoint(
                    address: opsAddress, registry: registry, readiness: WorkerReadiness(broker: broker), logger: logger))
        ]
        if let service = broker as? any Service { services.append(.init(service: service)) }
        services.append(.init(service: worker))
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

/// Building the controller and worker roles, shared by `serve`, `controller` and `worker`.
enum Roles {
    /// The controller, and the service that runs it once the broker's topology is declared.
    struct ControllerRole {
        let controller: Controller
        let service: any Service
    }

    static func controller(store: any Store, broker: any MessageBroker, notificationWorkers: Int, logger: Logger) -> ControllerRole {
        let transport = BrokerJobTransport(broker: broker)
        var configuration = Controller.Configuration()
        configuration.notificationWorkers = notificationWorkers
        configuration.tiers = BrokerJobTransport.tierPlanner
        configuration.jobsSurviveRestart = !(broker is EmbeddedBroker)
        let controller = Controller(
            store: store, publisher: transport, results: transport, configuration: configuration,
            templateChecker: RendererTemplateChecker(), logger: logger)
        return ControllerRole(controller: controller, service: TopologyGate(broker: broker, service: controller, logger: logger))
    }

    /// The HTTP client and SMTP thread pool the drivers share, shut down with the process.
    struct WorkerParts: Sendable {
        let httpClient: HTTPClient
        let smtpPool: NIOThreadPool

        func shutdown() {
            try? httpClient.syncShutdown()
            try? smtpPool.syncShutdownGracefully()
        }
    }

    static func workerParts() -> WorkerParts {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return WorkerParts(httpClient: StandardDrivers.makeHTTPClient(), smtpPool: pool)
    }

    static func worker(
        broker: any MessageBroker, secrets: any SecretResolver, delayedJobs: any DelayedJobCheck, parts: WorkerParts,
        concurrency: Int, logger: Logger
    ) -> any Service {
        var log = logger
        log[metadataKey: "component"] = "worker"
        let processor = JobProcessor(
            drivers: StandardDrivers.all(httpClient: parts.httpClient, smtpThreadPool: parts.smtpPool), secrets: secrets,
            logger: log)
        return TopologyGate(
            broker: broker,
            service: JobWorker(
                broker: broker, processor: processor, concurrency: concurrency, delayedJobs: delayedJobs, logger: logger),
            logger: logger)
    }
}
