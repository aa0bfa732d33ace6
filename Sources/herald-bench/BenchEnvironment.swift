import Foundation

/// The servers a delivery benchmark runs against, found from the test scripts' exports
/// (scripts/rabbitmq-start.sh, scripts/postgres-start.sh) or given on the command line.
enum BenchEnvironment {
    static let env = ProcessInfo.processInfo.environment

    /// The RabbitMQ node's OS process (its CPU is part of every delivery).
    static func rabbitMQPID() -> Int32? {
        guard let file = env["HERALD_TEST_RABBITMQ_PID_FILE"],
            let text = try? String(contentsOfFile: file, encoding: .utf8)
        else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The PostgreSQL postmaster (its backends are its children).
    static func postgresPID() -> Int32? {
        guard let dir = env["HERALD_TEST_POSTGRES_DIR"],
            let text = try? String(contentsOfFile: dir + "/data/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first
        else { return nil }
        return Int32(first.trimmingCharacters(in: .whitespaces))
    }

    /// Runs `rabbitmqctl` for the test node; false when there is none.
    @discardableResult
    static func rabbitmqctl(_ arguments: [String]) -> Bool {
        guard let ctl = env["HERALD_TEST_RABBITMQCTL"] else { return false }
        return runQuietly(ctl, arguments)
    }

    /// Drops a run's schema, so the next runs neither share the database with its tables nor pay
    /// for autovacuum working through them (it did: a quarter of PostgreSQL's CPU in a run went
    /// to vacuuming earlier runs' schemas). False when `psql` is not there or the drop failed.
    @discardableResult
    static func dropSchema(_ schema: String, postgresURL url: String) -> Bool {
        guard let psql else { return false }
        return runQuietly(psql, [url, "-q", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
    }

    /// Debian's `psql`, or a locally installed one.
    private static var psql: String? {
        ["/usr/bin/psql", "/usr/local/bin/psql"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Rows of `sql`'s answer from `psql -At` (fields split on `|`); nil without `psql` or on failure.
    static func query(_ sql: String, postgresURL url: String) -> [[String]]? {
        guard let psql else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: psql)
        p.arguments = [url, "-At", "-c", sql]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
    }

    private static func runQuietly(_ path: String, _ arguments: [String]) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return false
        }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// `url` with its vhost replaced by a fresh one (created and opened to the URL's user), so a
    /// run starts from empty queues; nil when the node cannot be administered from here.
    static func freshVhost(_ url: String, name: String) -> String? {
        guard var components = URLComponents(string: url) else { return nil }
        let user = components.user ?? "guest"
        guard rabbitmqctl(["add_vhost", name]), rabbitmqctl(["set_permissions", "-p", name, user, ".*", ".*", ".*"]) else {
            return nil
        }
        components.percentEncodedPath = "/" + name
        return components.string
    }
}
