import ArgumentParser
import Broker
import Foundation
import Logging

/// Flags of the roles that talk to the broker.
struct BrokerOptions: ParsableArguments {
    @Option(help: "Broker URL: empty for the embedded broker, or amqp://USER:PASS@HOST:PORT/VHOST (env HERALD_BROKER).")
    var broker: String = ProcessInfo.processInfo.environment["HERALD_BROKER"] ?? ""

    /// Jobs a worker runs at once per job queue (its prefetch). Results finished together go to
    /// the broker as one message, so fewer in flight means more, smaller messages: in the delivery
    /// benchmark 64 took 12-18 % more CPU per delivery than 256 and delivered less in 5 of 5
    /// alternated pairs. SMTP sends are bounded by their own thread pool whatever this is.
    @Option(name: .customLong("worker-concurrency"), help: "Jobs in flight per job queue in this worker.")
    var workerConcurrency: Int = 256

    func openBroker(logger: Logger) throws -> any MessageBroker & Sendable {
        if broker.isEmpty { return EmbeddedBroker(logger: logger) }
        guard broker.hasPrefix("amqp://") || broker.hasPrefix("amqps://") else {
            throw ValidationError(
                "unsupported --broker \"\(redacted)\": use an empty value for the embedded broker, or amqp://USER:PASS@HOST:PORT/VHOST")
        }
        do {
            return try RabbitMQBroker(url: broker, logger: logger)
        } catch {
            throw ValidationError("--broker \(redacted): \(error)")
        }
    }

    /// The broker URL without its password, for messages.
    var redacted: String {
        guard var components = URLComponents(string: broker), components.password != nil else {
            return broker.isEmpty ? "embedded" : broker
        }
        components.password = "***"
        return components.string ?? "<broker url>"
    }
}
