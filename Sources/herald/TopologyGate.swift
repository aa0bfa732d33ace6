import Broker
import Logging
import ServiceLifecycle

/// Runs a service once the broker's topology is declared: with RabbitMQ the declare can only
/// succeed once the broker's connection runs (it is started by the same service group), so it
/// is retried until then.
///
/// Graceful shutdown ends the wait (the broker may never be reachable, and the group shuts the
/// broker down only after this service returns); the wrapped service is then not started. Once
/// it runs, it handles graceful shutdown itself.
struct TopologyGate: Service {
    let broker: any MessageBroker
    let service: any Service
    let logger: Logger

    func run() async throws {
        let declared = await cancelWhenGracefulShutdown { [broker, logger] in
            await Self.declare(on: broker, logger: logger)
        }
        guard declared, !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        try await service.run()
    }

    /// Declares the topology, retrying with backoff; false if the task was cancelled first.
    private static func declare(on broker: any MessageBroker, logger: Logger) async -> Bool {
        var attempt = 0
        while true {
            do {
                try await broker.declareTopology()
                return true
            } catch is CancellationError {
                return false
            } catch {
                attempt += 1
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("broker topology not declared yet; retrying", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: .milliseconds(min(2000, 100 * attempt))) } catch { return false }
            }
        }
    }
}
