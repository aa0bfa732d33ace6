import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

enum LoggingSetup {
    /// Readable lines on a terminal, JSON lines otherwise (for log collectors).
    static func bootstrap(level: String) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        let json = isatty(STDERR_FILENO) == 0
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}

/// One JSON object per line on stderr.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    static let lock = Mutex(())

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (k, v) in metadata { fields[k] = "\(v)" }
        for (k, v) in event.metadata ?? [:] { fields[k] = "\(v)" }
        var object: [String: Any] = [
            "ts": ISO8601DateFormatter().string(from: Date()), "level": event.level.rawValue, "logger": label,
            "msg": "\(event.message)",
        ]
        for (k, v) in fields { object[k] = v }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        JSONLogHandler.lock.withLock { _ in
            FileHandle.standardError.write(data + Data([0x0A]))
        }
    }
}
