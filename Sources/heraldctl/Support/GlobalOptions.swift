import ArgumentParser
import Foundation
import HeraldAPI

/// Flags every API command accepts, resolved against the environment and the config file.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long, help: "The address of the Herald API server (default: $HERALD_SERVER, the context's server, or http://127.0.0.1:8080)."
    )
    var server: String?

    @Option(name: .long, help: "Bearer token for authentication to the API server.")
    var token: String?

    @Option(name: .shortAndLong, help: "The namespace scope for this request.")
    var namespace: String?

    @Option(name: .long, help: "The name of the config context to use.")
    var context: String?

    @Option(
        name: .customLong("request-timeout"),
        help: "How long to wait for a single server request, e.g. 5s, 1m (0 = no limit; also ends watches).")
    var requestTimeout: String?

    /// Opens a session: resolves server, token and namespace, and builds the HTTP client.
    func session() throws(CLIError) -> Session {
        let env = ProcessInfo.processInfo.environment
        let config = try HeraldConfig.load()
        let contextName = context ?? config.currentContext
        var resolved: HeraldConfig.ResolvedContext?
        if let contextName {
            resolved = config.context(named: contextName)
            if resolved == nil, context != nil {
                throw .message("context was not found for specified context: \(contextName)")
            }
        }
        let serverURL =
            server ?? env["HERALD_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? resolved?.server
            ?? Session.defaultServer
        let bearer = token ?? env["HERALD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? resolved?.token
        let timeout: Double?
        if let requestTimeout, requestTimeout != "0" {
            guard let seconds = TimeoutParser.seconds(requestTimeout) else {
                throw .message("invalid request timeout \"\(requestTimeout)\": use a duration such as 5s or 1m")
            }
            timeout = seconds
        } else {
            timeout = nil
        }
        return Session(
            client: APIClient(server: serverURL, token: bearer, requestTimeout: timeout),
            namespace: namespace ?? resolved?.namespace ?? "default",
            namespaceExplicit: namespace != nil,
            requestTimeout: timeout,
            contextUser: resolved.flatMap { $0.user.isEmpty ? nil : $0.user })
    }
}

/// Everything a command needs to talk to the server.
struct Session: Sendable {
    static let defaultServer = "http://127.0.0.1:8080"

    let client: APIClient
    /// The namespace objects without one go to (`-n`, the context's, or `default`).
    let namespace: String
    /// Whether `-n` was given: then objects in files must agree with it, as kubectl insists.
    let namespaceExplicit: Bool
    let requestTimeout: Double?
    /// The user of the config context in use, if any: who a `dlq redrive` names by default.
    var contextUser: String? = nil

    func discovery() async throws(CLIError) -> Discovery {
        try await Discovery.load(client)
    }

    /// Runs `body` and always shuts the HTTP client down afterwards.
    func run<T: Sendable>(_ body: (Session) async throws(CLIError) -> T) async throws(CLIError) -> T {
        do throws(CLIError) {
            let value = try await body(self)
            await client.shutdown()
            return value
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// Parses kubectl's `--timeout` values: Go durations (`30s`, `1m30s`) or a bare number of seconds.
enum TimeoutParser {
    static func seconds(_ text: String) -> Double? {
        if let plain = Double(text) { return plain }
        return HeraldAPI.Duration.parse(text)
    }
}
