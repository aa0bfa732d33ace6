import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// rabbitmqctl of the test node, and a virtual host per test.
///
/// Each test gets its own vhost, so its `herald.jobs.*`, `herald.results` and `herald.failed`
/// queues are its own and tests run in parallel without seeing each other's messages.
struct RabbitMQVirtualHost: Sendable {
    let name: String
    let url: String
    let rabbitmqctl: String

    static func create(baseURL: String? = IntegrationEnvironment.amqpURL, rabbitmqctl: String? = IntegrationEnvironment.rabbitmqctl)
        async throws -> RabbitMQVirtualHost
    {
        guard let baseURL, let rabbitmqctl else { throw IntegrationFailure("HERALD_TEST_AMQP_URL / HERALD_TEST_RABBITMQCTL not set") }
        guard var components = URLComponents(string: baseURL) else { throw IntegrationFailure("bad AMQP URL") }
        let name = "itest-\(UniqueName.make())"
        let user = components.user ?? "guest"
        components.percentEncodedPath = "/" + name
        guard let url = components.string else { throw IntegrationFailure("cannot form the vhost URL") }
        try await RabbitMQControl.run(rabbitmqctl, ["add_vhost", name])
        try await RabbitMQControl.run(rabbitmqctl, ["set_permissions", "-p", name, user, ".*", ".*", ".*"])
        return RabbitMQVirtualHost(name: name, url: url, rabbitmqctl: rabbitmqctl)
    }

    func delete() async {
        _ = try? await RabbitMQControl.run(rabbitmqctl, ["delete_vhost", name])
    }

    /// Messages ready in a queue of this vhost (0 when the queue does not exist yet).
    func readyMessages(_ queue: String) async throws -> Int {
        let output = try await RabbitMQControl.run(
            rabbitmqctl, ["list_queues", "-p", name, "--quiet", "--no-table-headers", "name", "messages_ready"])
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count == 2, fields[0] == queue { return Int(fields[1]) ?? 0 }
        }
        return 0
    }
}

enum RabbitMQControl {
    /// Runs a command to completion on a thread of its own (rabbitmqctl takes a second or two;
    /// blocking a cooperative thread that long would stall other tests), returns its stdout.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let log = try IntegrationEnvironment.scratchDirectory("cmd").appendingPathComponent("output").path
        let result: Result<Int32, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    returning: Result {
                        let child = try ChildProcess(
                            name: executable, executable: executable, arguments: arguments, logPath: log, environment: environment)
                        var raw: Int32 = 0
                        while waitpid(child.pid, &raw, 0) == -1, errno == EINTR {}
                        return (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                    })
            }
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent)
        let status = try result.get()
        guard status == 0 else {
            throw IntegrationFailure("\(executable) \(arguments.joined(separator: " ")) exited with \(status): \(output.suffix(2000))")
        }
        return output
    }
}
