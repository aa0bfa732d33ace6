import APIServer
import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Store

/// `herald serve`: everything in one process on the embedded default.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API (and, when built in, the controller and workers) in one process.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await runAPIServer(options: options, role: "serve")
    }
}

/// `herald apiserver`: the API role alone.
struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apiserver", abstract: "Run the API server role alone.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await runAPIServer(options: options, role: "apiserver")
    }
}

func runAPIServer(options: ServerOptions, role: String) async throws {
    LoggingSetup.bootstrap(level: options.logLevel)
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    var roleLogger = Logger(label: "herald")
    roleLogger[metadataKey: "role"] = "\(role)"
    let logger = roleLogger
    let (host, port) = try options.hostAndPort()
    let store = try options.openStore()
    let server = APIServer(store: store, configuration: .init(host: host, port: port), registry: registry, logger: logger)
    let app = server.application { port in
        logger.info(
            "Herald API listening",
            metadata: [
                "address": "\(host):\(port)",
                "store": "\(options.store.isEmpty ? "sqlite:" + options.dataDir : options.redacted(options.store))",
            ])
    }
    let gc = GarbageCollector(store: store, logger: logger)
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: app), .init(service: gc)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await group.run()
}
