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
        commandName: "controller", abstract: "Run the controller role alone (leader-elected).")

    @OptionGroup var options: ServerOptions
    @OptionGroup var brokerOptions: BrokerOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.logLevel)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
        var logger = Logger(label: "herald")
        logger[metadataKey: "role"] = "controller"
        let store = try options.openStore()
        let broker = try brokerOptions.openBroker(logger: logger)
        logger.info("controller starting", metadata: ["broker": .string(brokerOptions.redacted)])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let service = broker as? any Service { services.append(.init(service: service)) }
        services.append(.init(service: Roles.controller(store: store, broker: broker, logger: logger)))
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

/// `herald worker`: consumes jobs from RabbitMQ and publishes results; reads Secrets from the
/// API server.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the worker role alone.")

    @OptionGroup var brokerOptions: BrokerOptions

    @Option(help: "API server the worker reads Secrets from (env HERALD_SERVER).")
    var server: String = ProcessInfo.processInfo.environment["HERALD_SERVER"] ?? "http://127.0.0.1:8080"

    @Option(help: "Bearer token for the API server (env HERALD_TOKEN).")
    var token: String = ProcessInfo.processInfo.environment["HERALD_TOKEN"] ?? ""

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "info"

    func run() async throws {
        LoggingSetup.bootstrap(level: logLevel)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
        var logger = Logger(label: "herald")
        logger[metadataKey: "role"] = "worker"
        let broker = try brokerOptions.openBroker(logger: logger)
        let parts = Roles.workerParts()
        defer { parts.shutdown() }
        let secrets = HTTPSecretResolver(baseURL: server, bearerToken: token.isEmpty ? nil : token, client: parts.httpClient)
        let delayedJobs = HTTPDelayedJobCheck(
            api: APIServerReader(baseURL: server, bearerToken: token.isEmpty ? nil : token, client: parts.httpClient))
        let worker = Roles.worker(
            broker: broker, secrets: secrets, delayedJobs: delayedJobs, parts: parts,
            concurrency: brokerOptions.workerConcurrency, logger: logger)
        logger.info("worker starting", metadata: ["broker": .string(brokerOptions.redacted), "server": .string(server)])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let service = broker as? any Service { services.append(.init(service: service)) }
        services.append(.init(service: worker))
        try await ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}

/// Building the controller and worker roles, shared by `serve`, `controller` and `worker`.
enum Roles {
    static func controller(store: any Store, broker: any MessageBroker, logger: Logger) -> any Service {
        let transport = BrokerJobTransport(broker: broker)
        var configuration = Controller.Configuration()
        configuration.tiers = BrokerJobTransport.tierPlanner
        configuration.jobsSurviveRestart = !(broker is EmbeddedBroker)
        let controller = Controller(
            store: store, publisher: transport, results: transport, configuration: configuration,
            templateChecker: RendererTemplateChecker(), logger: logger)
        return TopologyGate(broker: broker, service: controller, logger: logger)
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
