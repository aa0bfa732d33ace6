import Foundation
import HeraldAPI
import PostgresNIO
import Store
import StoreTesting
import Testing

extension PostgresTests {
    @Suite("Planner statistics and the labels index on PostgreSQL")
    struct Statistics {
        @Test func aNewObjectsTableIsAnalyzedOnceItHoldsEnoughRows() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                try await PostgresTestEnvironment.withStore(schema: schema) { store in
                    for i in 0..<6 { _ = try await store.create(StoreContract.notification("s\(i)")) }
                    // Too few rows: nothing to gain yet.
                    #expect(try await store.analyzeIfNeverAnalyzed(minimumRows: 1_000_000) == false)
                    // The row count reaches pg_stat_user_tables a moment after the commits.
                    var analyzed = false
                    for _ in 0..<50 where !analyzed {
                        analyzed = try await store.analyzeIfNeverAnalyzed(minimumRows: 5)
                        if !analyzed { try await Task.sleep(for: .milliseconds(200)) }
                    }
                    #expect(analyzed)
                    let stats = try await PostgresTestEnvironment.query(
                        schema: schema, "SELECT (last_analyze IS NOT NULL)::text FROM pg_stat_user_tables WHERE relid = 'objects'::regclass"
                    )
                    #expect(stats == [["true"]])
                    // Statistics exist from now on, whatever the threshold.
                    #expect(try await store.analyzeIfNeverAnalyzed(minimumRows: 1_000_000))
                }
            }
        }

        @Test func theLabelsIndexKeepsItsPendingListShort() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                try await PostgresTestEnvironment.withStore(schema: schema) { _ in
                    let options = try await PostgresTestEnvironment.query(
                        schema: schema, "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'objects_labels'::regclass")
                    #expect(options == [["gin_pending_list_limit=64"]])
                }
            }
        }
    }
}
