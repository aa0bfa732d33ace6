import ArgumentParser
import Foundation

/// A HOST:PORT to listen on. An empty host means every interface; port 0 lets the kernel choose.
struct ListenAddress: Equatable, CustomStringConvertible {
    let host: String
    let port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `text`, naming `flag` in the error.
    init(_ text: String, flag: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("\(flag) must be HOST:PORT, for example 127.0.0.1:8080 (got \"\(text)\")")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// `--listen`: where `serve` and `apiserver` serve the API (with `/healthz`, `/livez`, `/readyz`
/// and `/metrics` on the same port).
struct APIListenOptions: ParsableArguments {
    @Option(help: "Address the API listens on, HOST:PORT (env HERALD_LISTEN).")
    var listen: String = ProcessInfo.processInfo.environment["HERALD_LISTEN"] ?? "127.0.0.1:8080"

    func address() throws -> ListenAddress { try ListenAddress(listen, flag: "--listen") }
}

/// `--metrics-listen`: where `controller` and `worker`, which serve no API, serve `/metrics`,
/// `/healthz`, `/livez` and `/readyz` (``OpsEndpoint``). Each role has its own default port so
/// the three roles run side by side on one machine: the API on 8080, the controller on 8081, the
/// worker on 8082.
struct OpsListenOptions: ParsableArguments {
    static let controllerDefault = "127.0.0.1:8081"
    static let workerDefault = "127.0.0.1:8082"

    @Option(
        name: .customLong("metrics-listen"),
        help: ArgumentHelp(
            "Address of the operations endpoint (/metrics, /healthz, /livez, /readyz), HOST:PORT (env HERALD_METRICS_LISTEN; default \(controllerDefault) for the controller, \(workerDefault) for the worker).",
            valueName: "host:port"))
    var metricsListen: String?

    /// The flag's value, else `HERALD_METRICS_LISTEN`, else `roleDefault`.
    func address(roleDefault: String) throws -> ListenAddress {
        let text = metricsListen ?? ProcessInfo.processInfo.environment["HERALD_METRICS_LISTEN"] ?? roleDefault
        return try ListenAddress(text, flag: "--metrics-listen")
    }
}
