import APIServer
import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Store
import Workers

/// `herald serve`: everything in one process on the embedded default.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API, the controller and the workers in one process.",
        discussion: "/healthz, /livez, /readyz and /metrics are served on the API's --listen address.")

    @OptionGroup var listen: APIListenOptions
    @OptionGroup var options: ServerOptions
    @OptionGroup var brokerOptions: BrokerOptions
    @OptionGroup var controllerOptions: ControllerOptions

    func run() async throws {
        try await runAPIServer(listen: listen, options: options, role: "serve", inProcess: (brokerOptions, controllerOptions))
    }
}

/// `herald apiserver`: the API role alone.
struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver", abstract: "Run the API server role alone.",
        discussion: "/healthz, /livez, /readyz and /metrics are served on the API's --listen address.")

    @OptionGroup var listen: APIListenOptions
    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await runAPIServer(listen: listen, options: options, role: "apiserver")
    }
}

/// Runs the API; with `inProcess` (`herald serve`) the controller and the workers too, on the
/// embedded broker unless `--broker` names a RabbitMQ.
func runAPIServer(
    listen: APIListenOptions, options: ServerOptions, role: String,
    inProcess: (broker: BrokerOptions, controller: ControllerOptions)? = nil
) async throws {
    LoggingSetup.bootstrap(level: options.logLevel)
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    var roleLogger = Logger(label: "herald")
    roleLogger[metadataKey: "role"] = "\(role)"
    let logger = roleLogger
    let address = try listen.address()
    let (host, port) = (address.host, address.port)
    let store = try options.openStore()
    let server = APIServer(
        store: store, configuration: .init(host: host, port: port), registry: registry,
        templateEngine: MustacheTemplateEngine(), logger: logger)
    let app = server.application { port in
        logger.info(
            "Herald API listening",
            metadata: [
                "address": "\(host):\(port)",
                "store": "\(options.storeDescription)",
                "allocator": .string(MemoryAllocator.description),
            ])
    }
    let gc = GarbageCollector(store: store, logger: logger)
    // Shutdown runs in reverse order: workers stop consuming first, the broker goes last.
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
    var workerParts: Roles.WorkerParts?
    if let (brokerOptions, controllerOptions) = inProcess {
        let broker = try brokerOptions.openBroker(logger: logger)
        if let service = broker as? any Service { services.append(.init(service: service)) }
        services += [.init(service: app), .init(service: gc)]
        let notificationWorkers = controllerOptions.notificationWorkers(on: options)
        services.append(
            .init(service: Roles.controller(store: store, broker: broker, notificationWorkers: notificationWorkers, logger: logger).service)
        )
        let parts = Roles.workerParts()
        workerParts = parts
        services.append(
            .init(
                service: Roles.worker(
                    broker: broker, secrets: StoreSecretResolver(store: store),
                    delayedJobs: StoreDelayedJobCheck(store: store), parts: parts,
                    concurrency: brokerOptions.workerConcurrency, logger: logger)))
        logger.info(
            "controller and workers built in",
            metadata: ["broker": .string(brokerOptions.redacted), "notificationWorkers": "\(notificationWorkers)"])
    } else {
        services += [.init(service: app), .init(service: gc)]
    }
    defer { workerParts?.shutdown() }
    let group = ServiceGroup(
        configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await group.run()
}
