import ArgumentParser
import Foundation
import Logging
import Store

/// Flags shared by the commands that run on the store (`serve`, `apiserver`, `controller`).
struct ServerOptions: ParsableArguments {
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

    func openStore() throws -> any Store {
        if store.isEmpty || store.hasPrefix("sqlite:") {
            let dir = store.hasPrefix("sqlite:") ? String(store.dropFirst("sqlite:".count)) : dataDir
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            guard let durability = SQLiteStore.Durability(rawValue: sqliteSync) else {
                throw ValidationError("--sqlite-sync must be full or normal (got \"\(sqliteSync)\")")
            }
            return try SQLiteStore(path: (dir as NSString).appendingPathComponent("herald.sqlite"), durability: durability)
        }
        if isPostgres {
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
            "unsupported --store \"\(redacted(store))\": use an empty value for the embedded SQLite store, or postgres://USER:PASS@HOST:PORT/DB"
        )
    }

    /// Whether `--store` names a PostgreSQL server (anything else is the embedded store or an error).
    var isPostgres: Bool { store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") }

    /// The store, for log lines: the SQLite directory or the URL without its password.
    var storeDescription: String { store.isEmpty ? "sqlite:" + dataDir : redacted(store) }

    /// A store URL without its password, for messages.
    func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "<store url>"
    }
}
