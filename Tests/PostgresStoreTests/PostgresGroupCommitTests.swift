import Foundation
import HeraldAPI
import Logging
import PostgresNIO
import StoreTesting
import Testing

@testable import Store

extension PostgresTests {
    @Suite("Group commits on PostgreSQL")
    struct GroupCommits {
        /// The generic plan is the group commit's alone: the setting ends with its transaction, so
        /// the next query on the same pooled connection (a list, a label-selector scan) is planned
        /// for its own parameters again.
        @Test func theGenericPlanSettingEndsWithTheCommit() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                var config = try PostgresTestEnvironment.configuration(schema: schema)
                config.poolSize = 1
                var logger = Logger(label: "herald.test.commit")
                logger.logLevel = .critical
                let store = PostgresStore(configuration: config, logger: logger)
                let queryLogger = logger
                store.start()
                do {
                    try await store.waitUntilReady(timeout: .seconds(30))
                    _ = try await store.create(StoreContract.notification("plan-a"))
                    _ = try await store.create(StoreContract.notification("plan-b"))
                    let mode = try await store.perform("reading plan_cache_mode") { c in
                        var value = ""
                        for try await v in try await c.query("SHOW plan_cache_mode", logger: queryLogger).decode(String.self) { value = v }
                        return value
                    }
                    #expect(mode == "auto")
                } catch {
                    await store.shutdown()
                    throw error
                }
                await store.shutdown()
            }
        }
    }
}
