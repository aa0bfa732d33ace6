import Foundation
import HeraldAPI
import StoreTesting
import Testing

@testable import Store

extension PostgresTests {
    @Suite("Schema migrations on PostgreSQL")
    struct Schema {
        /// The key columns every create inserts into indexes, with the collation each compares by.
        static func keyCollations(_ schema: String) async throws -> [[String]] {
            try await PostgresTestEnvironment.query(
                schema: schema,
                """
                SELECT c.relname || '.' || a.attname, coalesce(co.collname, '')
                FROM pg_attribute a
                JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_collation co ON co.oid = a.attcollation
                WHERE n.nspname = '\(schema)' AND c.relname IN ('objects', 'owners')
                  AND a.attname IN ('kind', 'namespace', 'name', 'uid', 'owner_uid')
                ORDER BY 1
                """)
        }

        static let bytewise = [
            ["objects.kind", "C"], ["objects.name", "C"], ["objects.namespace", "C"], ["objects.uid", "C"],
            ["owners.kind", "C"], ["owners.name", "C"], ["owners.namespace", "C"], ["owners.owner_uid", "C"],
        ]

        @Test func everyIndexedKeyColumnComparesBytewise() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                try await PostgresTestEnvironment.withStore(schema: schema) { _ in
                    let collations = try await Self.keyCollations(schema)
                    #expect(collations == Self.bytewise)
                }
            }
        }

        /// A database made by an older Herald (schema version 4, owner rows in the database's
        /// collation) upgrades in place: its rows stay, and owner lookups still find dependents.
        @Test func aVersion4DatabaseUpgradesWithItsOwnersIntact() async throws {
            try await PostgresTestEnvironment.withSchema { schema in
                _ = try await PostgresTestEnvironment.query(schema: "public", "CREATE SCHEMA \(schema)")
                _ = try await PostgresTestEnvironment.query(
                    schema: schema,
                    "CREATE TABLE herald_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                for migration in PostgresSchema.migrations where migration.version <= 4 {
                    for statement in migration.statements { _ = try await PostgresTestEnvironment.query(schema: schema, statement) }
                    _ = try await PostgresTestEnvironment.query(
                        schema: schema, "INSERT INTO herald_schema_migrations (version, name) VALUES (\(migration.version), 'old')")
                }
                // A dependent whose owner is gone, and one whose owner is there, as an old Herald left them.
                _ = try await PostgresTestEnvironment.query(
                    schema: schema,
                    """
                    INSERT INTO owners (owner_uid, kind, namespace, name) VALUES
                        ('uid-gone', 'Delivery', 'default', 'orphan'), ('uid-here', 'Delivery', 'default', 'kept')
                    """)
                _ = try await PostgresTestEnvironment.query(
                    schema: schema,
                    "INSERT INTO objects (kind, namespace, name, uid, rv, body) VALUES ('Notification', 'default', 'n', 'uid-here', 1, '\\x7b7d')"
                )
                #expect(try await Self.keyCollations(schema) != Self.bytewise)

                try await PostgresTestEnvironment.withStore(schema: schema) { store in
                    #expect(try await Self.keyCollations(schema) == Self.bytewise)
                    let versions = try await PostgresTestEnvironment.query(
                        schema: schema, "SELECT max(version)::text FROM herald_schema_migrations")
                    #expect(versions == [[String(PostgresSchema.migrations.last?.version ?? 0)]])
                    #expect(
                        try await PostgresTestEnvironment.query(schema: schema, "SELECT count(*)::text FROM owners") == [["2"]])
                    #expect(
                        try await store.orphanedDependents(limit: 10)
                            == [ObjectKey(kind: "Delivery", namespace: "default", name: "orphan")])
                }
            }
        }
    }
}
