import Foundation
import HeraldAPI
import Logging
import PostgresNIO

extension PostgresStore {
    /// Rows `objects` holds before the store analyzes it itself (see `analyzeUntilAnalyzed`).
    public static let statisticsMinimumRows: Int64 = 1000

    /// Gives a new database's `objects` table planner statistics as soon as it holds a thousand
    /// rows, then stops: autovacuum keeps them fresh from its first pass on, but that comes a
    /// minute or more after the table starts to fill. Until then PostgreSQL takes every key
    /// range for a few rows, and a label selector read the namespace's whole key range instead
    /// of its GIN index: a list by 32 `herald.dev/notification` values read 20,000 rows (28 ms)
    /// where, analyzed, it reads 320 (0.2 ms).
    func analyzeUntilAnalyzed() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.statisticsCheckInterval)
            do {
                if try await analyzeIfNeverAnalyzed() { return }
            } catch {
                if Task.isCancelled { return }
                logger.debug("statistics check skipped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Analyzes `objects` when it has no statistics yet and holds at least `minimumRows` rows
    /// (one process at a time, behind an advisory lock). True once it has statistics.
    @discardableResult
    public func analyzeIfNeverAnalyzed(minimumRows: Int64 = PostgresStore.statisticsMinimumRows) async throws -> Bool {
        let lockName = "herald.analyze." + (configuration.schema ?? "default")
        return try await perform("analyzing the objects table", timeout: .seconds(60)) { c in
            var analyzed = false
            var rows: Int64 = 0
            for try await (done, live) in try await c.query(
                """
                SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL, n_live_tup
                FROM pg_stat_user_tables WHERE relid = 'objects'::regclass
                """, logger: self.logger
            ).decode((Bool, Int64).self) {
                (analyzed, rows) = (done, live)
            }
            if analyzed { return true }
            guard rows >= minimumRows else { return false }
            // ANALYZE may run in a transaction, so the lock can be the transaction's.
            let ran = try await Self.ifFirst(lockName, on: c, logger: self.logger) {
                try await c.query("ANALYZE objects", logger: self.logger)
            }
            guard ran else { return false }
            self.logger.info("analyzed the new objects table for the query planner", metadata: ["rows": "\(rows)"])
            return true
        }
    }
}
