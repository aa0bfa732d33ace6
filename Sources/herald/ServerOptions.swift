import ArgumentParser
import Foundation
import Logging
import Store

/// Flags shared by the commands that serve the API.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on, HOST:PORT (env HERALD_LISTEN).")
    var listen: String = ProcessInfo.processInfo.environment["HERALD_LISTEN"] ?? "127.0.0.1:8080"

    @Option(name: .customLong("data-dir"), help: "Directory of the embedded store (env HERALD_DATA_DIR).")
    var dataDir: String = ProcessInfo.processInfo.environment["HERALD_DATA_DIR"] ?? "./.herald"

    @Option(help: "Store URL: empty for the embedded SQLite store, or postgres://USER:PASS@HOST:PORT/DB (env HERALD_STORE).")
    var store: String = ProcessInfo.processInfo.environment["HERALD_STORE"] ?? ""

    @Option(
        name: .customLong("sqlite-sync"),
        help: "Embedded store durability: full (fsync per group commit) or normal (WAL, no fsync) (env HERALD_SQLITE_SYNC).")
    var sqliteSync: String = ProcessInfo.processInfo.environment["HERALD_SQLITE_SYNC"] ?? "full"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "info"

    func hostAndPort() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("--listen must be HOST:PORT, for example 127.0.0.1:8080 (got \"\(listen)\")")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    func openStore() throws -> any Store {
        if store.isEmpty || store.hasPrefix("sqlite:") {
            let dir = store.hasPrefix("sqlite:") ? String(store.dropFirst("sqlite:".count)) : dataDir
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            guard let durability = SQLiteStore.Durability(rawValue: sqliteSync) else {
                throw ValidationError("--sqlite-sync must be full or normal (got \"\(sqliteSync)\")")
            }
            return try SQLiteStore(path: (dir as NSString).appendingPathComponent("herald.sqlite"), durability: durability)
        }
        if store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") {
            let configuration: PostgresStoreConfiguration
            do {
                configuration = try PostgresStoreConfiguration(url: store)
            } catch {
                throw ValidationError("--store: \(error)")
            }
            // The store runs its pool and log listener in a task it owns; until PostgreSQL answers,
            // calls fail as unavailable (503) and /readyz fails.
            let postgres = PostgresStore(configuration: configuration, logger: Logger(label: "herald.store"))
            postgres.start()
            return postgres
        }
        throw ValidationError(
            "unsupported --store \"\(redacted(store))\": use an empty value for the embedded SQLite store, or postgres://USER:PASS@HOST:PORT/DB")
    }

    /// A store URL without its password, for messages.
    func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "<store url>"
    }
}
