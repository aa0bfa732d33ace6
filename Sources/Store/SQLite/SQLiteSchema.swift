import GRDB

/// Versioned schema of the embedded store; GRDB's migrator records what ran, so opening is idempotent.
enum SQLiteSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE objects (
                        kind TEXT NOT NULL,
                        namespace TEXT NOT NULL,
                        name TEXT NOT NULL,
                        uid TEXT NOT NULL,
                        rv INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (kind, namespace, name)
                    ) WITHOUT ROWID;
                    CREATE INDEX objects_uid ON objects(uid);
                    CREATE TABLE owners (
                        owner_uid TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        namespace TEXT NOT NULL,
                        name TEXT NOT NULL,
                        PRIMARY KEY (owner_uid, kind, namespace, name)
                    ) WITHOUT ROWID;
                    CREATE INDEX owners_dependent ON owners(kind, namespace, name);
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    INSERT INTO meta (key, value) VALUES ('rv', 0);
                    CREATE TABLE leases (
                        name TEXT PRIMARY KEY,
                        holder TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        expires REAL NOT NULL,
                        duration REAL NOT NULL
                    );
                    """)
        }
        return migrator
    }
}
