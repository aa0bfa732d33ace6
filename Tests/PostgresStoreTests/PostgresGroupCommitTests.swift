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
        /// The generic plan is the commit transaction's alone: the setting ends with it, so the
        /// next query on the same pooled connection (a list, a label-selector scan) is planned for
        /// its own parameters again.
        @Test func theGenericPlanSettingEndsWithTheCommit() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                // One connection: the query below runs on the one the commits used.
                try await PostgresTestEnvironment.withStore(schema: schema, poolSize: 1) { store in
                    _ = try await store.create(StoreContract.notification("plan-a"))
                    _ = try await store.create(StoreContract.notification("plan-b"))
                    let mode = try await store.perform("reading plan_cache_mode") { c in
                        var value = ""
                        for try await v in try await c.query("SHOW plan_cache_mode", logger: Logger(label: "herald.test.commit"))
                            .decode(String.self)
                        {
                            value = v
                        }
                        return value
                    }
                    #expect(mode == "auto")
                }
            }
        }
    }
}
