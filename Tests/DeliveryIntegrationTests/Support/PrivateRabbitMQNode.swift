import Foundation

/// A RabbitMQ node of the test's own, for the test that stops the server: stopping the shared
/// node would break every other RabbitMQ test running at the same time (the broker tests in
/// Tests/BrokerIntegrationTests do the same for theirs).
struct PrivateRabbitMQNode: Sendable {
    let url: String
    let rabbitmqctl: String
    let directory: String

    private static var scripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts")
    }

    static var canStart: Bool {
        IntegrationEnvironment.hasRabbitMQ
            && FileManager.default.isExecutableFile(atPath: scripts.appendingPathComponent("rabbitmq-start.sh").path)
    }

    static func start() async throws -> PrivateRabbitMQNode {
        let directory = "/tmp/herald-rabbitmq-itest-\(UniqueName.make())"
        // A port of its own: left to itself the script takes the first free one from 26572 up,
        // and the broker tests' private node may be looking for one at the same moment. The
        // script refuses a port in use, so try a few random ones.
        var output = ""
        for attempt in 1...3 {
            let port = 30_000 + 10 * Int.random(in: 0..<1_400)
            do {
                output = try await RabbitMQControl.run(
                    scripts.appendingPathComponent("rabbitmq-start.sh").path, [],
                    environment: ["HERALD_RABBITMQ_DIR": directory, "HERALD_RABBITMQ_PORT": String(port)])
                break
            } catch  where attempt < 3 {
                continue
            }
        }
        var exports: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            exports[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        guard let url = exports["HERALD_TEST_AMQP_URL"], let rabbitmqctl = exports["HERALD_TEST_RABBITMQCTL"] else {
            throw IntegrationFailure("rabbitmq-start.sh printed no exports: \(output)")
        }
        return PrivateRabbitMQNode(url: url, rabbitmqctl: rabbitmqctl, directory: directory)
    }

    func stop() async {
        _ = try? await RabbitMQControl.run(
            Self.scripts.appendingPathComponent("rabbitmq-stop.sh").path, [], environment: ["HERALD_TEST_RABBITMQ_DIR": directory])
    }

    func control(_ arguments: String...) async throws {
        try await RabbitMQControl.run(rabbitmqctl, arguments)
    }
}
