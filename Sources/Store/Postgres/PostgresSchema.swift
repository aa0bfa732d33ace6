import HeraldAPI
import Logging
import PostgresNIO

/// Versioned schema of the PostgreSQL store. Migrations run in one transaction behind a
/// transaction-level advisory lock, so processes starting together apply each exactly once and a
/// failed migration leaves nothing half done. Append new versions; never edit an applied one.
enum PostgresSchema {
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "objects, owners, revision log, leases",
            statements: [
                // One row holds the newest resourceVersion. Writers lock it for their whole transaction,
                // so commit order is resourceVersion order and no reader ever sees a gap fill in later.
                """
                CREATE TABLE revision (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    rv bigint NOT NULL
                )
                """,
                "INSERT INTO revision (singleton, rv) VALUES (true, 0)",
                // Every event with rv > compacted_through is still in `log`.
                """
                CREATE TABLE log_compaction (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    compacted_through bigint NOT NULL
                )
                """,
                "INSERT INTO log_compaction (singleton, compacted_through) VALUES (true, 0)",
                """
                CREATE TABLE objects (
                    kind text COLLATE "C" NOT NULL,
                    namespace text COLLATE "C" NOT NULL,
                    name text COLLATE "C" NOT NULL,
                    uid text NOT NULL,
                    rv bigint NOT NULL,
                    labels jsonb NOT NULL DEFAULT '{}',
                    fields jsonb NOT NULL DEFAULT '{}',
                    body bytea NOT NULL,
                    PRIMARY KEY (kind, namespace, name)
                )
                """,
                // Keys compare bytewise (COLLATE "C"), as in the embedded store, whatever the database's
                // locale: list order and continue tokens then agree across backends, and the index is cheaper.
                // uid: owner lookups for garbage collection; (kind, name): metadata.name across namespaces.
                "CREATE INDEX objects_uid ON objects (uid)",
                "CREATE INDEX objects_kind_name ON objects (kind, name)",
                // Label selectors use @> (=, in) and ? (exists); selectable fields use @> on `fields`.
                "CREATE INDEX objects_labels ON objects USING gin (labels)",
                "CREATE INDEX objects_fields ON objects USING gin (fields)",
                """
                CREATE TABLE owners (
                    owner_uid text NOT NULL,
                    kind text NOT NULL,
                    namespace text NOT NULL,
                    name text NOT NULL,
                    PRIMARY KEY (owner_uid, kind, namespace, name)
                )
                """,
                "CREATE INDEX owners_dependent ON owners (kind, namespace, name)",
                """
                CREATE TABLE log (
                    rv bigint PRIMARY KEY,
                    type text NOT NULL,
                    kind text NOT NULL,
                    namespace text NOT NULL,
                    name text NOT NULL,
                    body bytea NOT NULL,
                    previous bytea,
                    committed_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE leases (
                    name text PRIMARY KEY,
                    holder text NOT NULL,
                    version bigint NOT NULL,
                    expires double precision NOT NULL,
                    duration double precision NOT NULL
                )
                """,
                // Which selectable fields `objects.fields` was computed with, per kind (see refreshFields).
                "CREATE TABLE selectable_fields (kind text PRIMARY KEY, signature text NOT NULL)",
            ]),
        Migration(
            version: 2, name: "status writes update objects in place (HOT)",
            statements: [
                // A status write changes `fields` (status.phase), so with `fields` indexed every write
                // inserted entries into all five indexes. Unindexed, a write that keeps labels and
                // uid is a heap-only update when its page has room, which the fill factor leaves.
                // Field selectors still filter in SQL, within the (kind, namespace) key range; the
                // Kubernetes API server does not index them either.
                "DROP INDEX IF EXISTS objects_fields",
                "ALTER TABLE objects SET (fillfactor = 70)",
            ]),
        Migration(
            version: 3, name: "room for every status write to stay on its page",
            statements: [
                // Measured in the delivery benchmark: at 70 only 44 % of updates were heap-only, as a
                // page of fresh Deliveries filled up before their first status writes were pruned;
                // at 50, 96 % are, and the other updates' entries in four indexes (one GIN) go.
                "ALTER TABLE objects SET (fillfactor = 50)"
            ]),
        Migration(
            version: 4, name: "label selectors read the GIN index with a short pending list",
            statements: [
                // New entries wait in an unsorted pending list, and every label-selector scan reads
                // all of it: at the default 4 MB, one `herald.dev/notification=X` lookup took
                // 2.5-3 ms while Deliveries were being created, against 0.03 ms merged. At 64 kB
                // a scan stays short, and inserts still merge in bulk (turning the list off made
                // each create merge its entries alone: about a tenth more PostgreSQL CPU per
                // delivery in the benchmark).
                "ALTER INDEX objects_labels SET (gin_pending_list_limit = 64)"
            ]),
        Migration(
            version: 5, name: "owner and uid keys compare bytewise",
            statements: [
                // Version 1 gave only the object keys COLLATE "C". Every Delivery created inserts into
                // objects_uid and both owners indexes, and under a database locale other than C
                // (C.UTF-8 included, before PostgreSQL 17) each comparison in them copied both
                // strings and called strcoll. Only the collation changes: no table is rewritten,
                // the indexes are rebuilt.
                #"ALTER TABLE objects ALTER COLUMN uid TYPE text COLLATE "C""#,
                #"""
                ALTER TABLE owners ALTER COLUMN owner_uid TYPE text COLLATE "C", ALTER COLUMN kind TYPE text COLLATE "C",
                    ALTER COLUMN namespace TYPE text COLLATE "C", ALTER COLUMN name TYPE text COLLATE "C"
                """#,
            ]),
    ]

    /// Applies missing migrations and recomputes `fields` for kinds whose selectable fields changed.
    static func migrate(_ connection: PostgresConnection, schema: String?, kinds: KindRegistry, logger: Logger) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            let lockName = "herald.migrate." + (schema ?? "default")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: logger)
            if let schema {
                // Safe to splice: the configuration only accepts [a-z][a-z0-9_]*.
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            }
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS herald_schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM herald_schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > (migrations.last?.version ?? 0) {
                throw StoreError.unavailable(
                    "the database schema is at version \(newest), newer than this Herald knows (\(migrations.last?.version ?? 0)): upgrade Herald"
                )
            }
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO herald_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                logger.info("applied store migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            }
            try await refreshFields(connection, kinds: kinds, logger: logger)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// `objects.fields` holds each object's selectable field values as computed by this build's
    /// kind definitions. When a build adds or drops a selectable field, rows written before would
    /// answer field selectors wrongly, so they are recomputed here, once, under the migration lock.
    static func refreshFields(_ connection: PostgresConnection, kinds: KindRegistry, logger: Logger) async throws {
        var stored: [String: String] = [:]
        for try await (kind, signature) in try await connection.query("SELECT kind, signature FROM selectable_fields", logger: logger)
            .decode((String, String).self)
        {
            stored[kind] = signature
        }
        for definition in kinds.kinds {
            let signature = definition.selectableFields.keys.sorted().joined(separator: ",")
            if stored[definition.kind] == signature { continue }
            var namespaces: [String] = []
            var names: [String] = []
            var fields: [String] = []
            for try await (name, namespace, body) in try await connection.query(
                "SELECT name, namespace, body FROM objects WHERE kind = \(definition.kind)", logger: logger
            ).decode((String, String, ByteBuffer).self) {
                let object = try PostgresRows.decode(body)
                namespaces.append(namespace)
                names.append(name)
                fields.append(PostgresRows.fieldsJSON(object, kinds: kinds))
            }
            if !names.isEmpty {
                try await connection.query(
                    """
                    UPDATE objects o SET fields = t.f::jsonb
                    FROM unnest(\(namespaces), \(names), \(fields)) AS t(ns, n, f)
                    WHERE o.kind = \(definition.kind) AND o.namespace = t.ns AND o.name = t.n
                    """, logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO selectable_fields (kind, signature) VALUES (\(definition.kind), \(signature))
                ON CONFLICT (kind) DO UPDATE SET signature = EXCLUDED.signature
                """, logger: logger)
            if !names.isEmpty {
                logger.info("recomputed selectable fields", metadata: ["kind": "\(definition.kind)", "objects": "\(names.count)"])
            }
        }
    }
}
