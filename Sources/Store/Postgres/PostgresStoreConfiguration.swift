import Foundation

/// Where and how the PostgreSQL store connects, read from a URL such as
/// `postgres://USER:PASS@HOST:PORT/DB?sslmode=disable&pool_size=16&watch_window=50000`.
///
/// Query parameters (all optional):
/// - `sslmode`: `disable`, `prefer` (default, as libpq) or `require`.
/// - `schema`: a schema for Herald's tables (created when missing); default is the user's search_path.
/// - `pool_size`: pooled connections per process (default 16).
/// - `watch_window`: revisions kept for resuming watches; older resume points get 410 (default 50,000).
/// - `timeout`: seconds a store call may wait for PostgreSQL before failing as unavailable (default 5).
public struct PostgresStoreConfiguration: Sendable {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode = .prefer
    /// Tables live here when set (tests use one schema per case); `nil` uses the search_path.
    public var schema: String?
    public var poolSize = 16
    /// Revisions the log keeps for resuming watches; older resume points get 410 Gone.
    public var watchWindow = 50_000
    /// Of those, the newest this process keeps in memory; a resume point before them is replayed
    /// from the log. Holding all 50,000 (object, previous state and body each) cost every API
    /// server and controller about 200 MB, touched page by page while it filled.
    public var memoryWindow = 10_000
    public var operationTimeout: Swift.Duration = .seconds(5)
    /// How often old log entries are deleted; the window itself is enforced on every resume.
    public var compactionInterval: Swift.Duration = .seconds(10)
    /// How often a store checks whether a new `objects` table has planner statistics yet.
    public var statisticsCheckInterval: Swift.Duration = .seconds(2)
    /// A slow re-read of the log in case a notification never comes; NOTIFY is the primary path.
    public var safetyPollInterval: Swift.Duration = .seconds(10)
    /// Writes committed in one transaction at most.
    public var maxBatch = 512

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a `postgres://` or `postgresql://` URL.
    public init(url text: String) throws(PostgresConfigurationError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw PostgresConfigurationError(
                "the store URL must look like postgres://USER:PASS@HOST:PORT/DB (got \"\(Self.redact(text))\")")
        }
        guard let host = url.host, !host.isEmpty else {
            throw PostgresConfigurationError("the store URL has no host: use postgres://USER:PASS@HOST:PORT/DB")
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresConfigurationError("the store URL has no user name: use postgres://USER:PASS@HOST:PORT/DB")
        }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.init(host: host, port: url.port ?? 5432, username: user, password: url.password, database: path.isEmpty ? user : path)
        for item in url.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw PostgresConfigurationError("sslmode must be disable, prefer or require (got \"\(value)\")")
                }
                tls = mode
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw PostgresConfigurationError(
                        "schema must be letters, digits and underscores, starting with a letter (got \"\(value)\")")
                }
                // PostgreSQL folds unquoted identifiers to lower case; do it here so names match everywhere.
                schema = value.lowercased()
            case "pool_size":
                poolSize = try Self.positive(item.name, value)
            case "watch_window":
                watchWindow = try Self.positive(item.name, value)
            case "memory_window":
                memoryWindow = try Self.positive(item.name, value)
            case "timeout":
                guard let seconds = Double(value), seconds > 0 else {
                    throw PostgresConfigurationError("timeout must be a positive number of seconds (got \"\(value)\")")
                }
                operationTimeout = .milliseconds(Int64(seconds * 1000))
            default:
                throw PostgresConfigurationError(
                    "unknown store URL parameter \"\(item.name)\": use sslmode, schema, pool_size, watch_window, memory_window or timeout")
            }
        }
    }

    /// The URL without its password, for logs and messages.
    public var redactedDescription: String {
        "postgres://\(username)@\(host):\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }

    static func positive(_ name: String, _ value: String) throws(PostgresConfigurationError) -> Int {
        guard let n = Int(value), n > 0 else {
            throw PostgresConfigurationError("\(name) must be a positive integer (got \"\(value)\")")
        }
        return n
    }

    /// Identifiers we splice into SQL (schema, channel names) are restricted so they never need quoting.
    static func isPlainIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.count <= 48, CharacterSet.letters.contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || $0 == "_" }
    }

    static func redact(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? "<store url>"
    }

    /// The NOTIFY channel; per schema, so stores sharing a database in different schemas stay apart.
    var notifyChannel: String { "herald_log" + (schema.map { "_" + $0 } ?? "") }
}

public struct PostgresConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
