import Broker
import Logging
import ServiceLifecycle

/// Runs a service once the broker's topology is declared: with RabbitMQ the declare can only
/// succeed once the broker's connection runs (it is started by the same service group), so it
/// is retried until then.
struct TopologyGate: Service {
    let broker: any MessageBroker
    let service: any Service
    let logger: Logger

    func run() async throws {
        var attempt = 0
        while true {
            do {
                try await broker.declareTopology()
                break
            } catch is CancellationError {
                return
            } catch {
                attempt += 1
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("broker topology not declared yet; retrying", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: .milliseconds(min(2000, 100 * attempt))) } catch { return }
                if Task.isShuttingDownGracefully { return }
            }
        }
        try await service.run()
    }
}
