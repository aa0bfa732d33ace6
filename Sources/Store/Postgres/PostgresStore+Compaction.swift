import Foundation
import HeraldAPI
import Logging
import PostgresNIO

extension PostgresStore {
    /// Deletes log entries older than the window. The window is enforced on every resume anyway
    /// (`checkWindow`); this only bounds the table. One process at a time does it.
    func compactPeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.compactionInterval)
            do {
                try await compact()
            } catch {
                if Task.isCancelled { return }
                logger.debug("log compaction skipped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Deletes log entries older than the window now (the store also does it periodically).
    public func compact() async throws {
        let window = Int64(configuration.watchWindow)
        let lockName = "herald.compact." + (configuration.schema ?? "default")
        // Whether this process was the one to compact does not matter to the caller.
        _ = try await perform("compacting the revision log", timeout: .seconds(60)) { c in
            try await Self.ifFirst(lockName, on: c, logger: self.logger) {
                try await c.query(
                    """
                    WITH target AS (SELECT rv - \(window) AS through FROM revision),
                    removed AS (DELETE FROM log WHERE rv <= (SELECT through FROM target))
                    UPDATE log_compaction SET compacted_through = (SELECT through FROM target)
                    WHERE compacted_through < (SELECT through FROM target)
                    """, logger: self.logger)
            }
        }
    }
}

extension PostgresStore {
    /// Runs `body` in a transaction holding the advisory lock `name`, unless another process
    /// holds it (housekeeping one process does for all); false when it did not run. The lock is
    /// the transaction's, so it goes with the commit or with a broken connection.
    @discardableResult
    static func ifFirst(_ name: String, on c: PostgresConnection, logger: Logger, _ body: () async throws -> Void)
        async throws -> Bool
    {
        try await c.query("BEGIN", logger: logger)
        do {
            var locked = false
            for try await got in try await c.query("SELECT pg_try_advisory_xact_lock(hashtext(\(name)))", logger: logger)
                .decode(Bool.self)
            {
                locked = got
            }
            if locked { try await body() }
            try await c.query("COMMIT", logger: logger)
            return locked
        } catch {
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
