import HeraldAPI
import PostgresNIO

/// The statement that writes a group commit: log rows, object upserts and deletes, owner rows,
/// the new revision and the NOTIFY, all from column arrays (`unnest`), so its text never
/// changes. Prepared once per connection: PostgreSQL spent about a tenth of its time in a busy
/// run planning this statement again for every batch.
///
/// Each key is either upserted or deleted, and owner rows only added or removed, so no row is
/// touched twice by the one statement. An object's body is its last log row's (`RETURNING`):
/// each body is sent once.
struct PostgresGroupCommitStatement: PostgresPreparedStatement {
    typealias Row = ()

    struct LogRows: Sendable {
        var rv: [Int64] = []
        var type: [String] = []
        var keys = Keys()
        var body: [ByteBuffer] = []
        /// Empty for none (unnest has no NULLs here; the statement turns '' into NULL).
        var previous: [ByteBuffer] = []
    }

    struct Puts: Sendable {
        var keys = Keys()
        var uid: [String] = []
        var rv: [Int64] = []
        var labels: [String] = []
        var fields: [String] = []
    }

    struct Keys: Sendable {
        var kind: [String] = []
        var namespace: [String] = []
        var name: [String] = []

        mutating func append(_ key: ObjectKey) {
            kind.append(key.kind)
            namespace.append(key.namespace)
            name.append(key.name)
        }
    }

    struct OwnerRows: Sendable {
        var owner: [String] = []
        var keys = Keys()

        mutating func append(owner uid: String, of key: ObjectKey) {
            owner.append(uid)
            keys.append(key)
        }
    }

    var log = LogRows()
    var puts = Puts()
    var gone = Keys()
    var ownersGone = OwnerRows()
    var ownersNew = OwnerRows()
    var rv: Int64
    var channel: String

    init(rv: Int64, channel: String) {
        self.rv = rv
        self.channel = channel
    }

    static let name = "herald_group_commit_v1"

    static let sql = """
        WITH new_log AS (
            INSERT INTO log (rv, type, kind, namespace, name, body, previous)
            SELECT rv, type, kind, namespace, name, body, NULLIF(previous, ''::bytea)
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])
              AS t(rv, type, kind, namespace, name, body, previous)
            RETURNING rv, body
        ), put AS (
            INSERT INTO objects (kind, namespace, name, uid, rv, labels, fields, body)
            SELECT t.kind, t.namespace, t.name, t.uid, t.rv, t.labels::jsonb, t.fields::jsonb, l.body
            FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[])
              AS t(kind, namespace, name, uid, rv, labels, fields)
            JOIN new_log l ON l.rv = t.rv
            ON CONFLICT (kind, namespace, name) DO UPDATE SET uid = EXCLUDED.uid, rv = EXCLUDED.rv,
                labels = EXCLUDED.labels, fields = EXCLUDED.fields, body = EXCLUDED.body
        ), gone AS (
            DELETE FROM objects o USING unnest($15::text[], $16::text[], $17::text[]) AS t(kind, namespace, name)
            WHERE o.kind = t.kind AND o.namespace = t.namespace AND o.name = t.name
        ), owners_gone AS (
            DELETE FROM owners o
            USING unnest($18::text[], $19::text[], $20::text[], $21::text[]) AS t(owner_uid, kind, namespace, name)
            WHERE o.owner_uid = t.owner_uid AND o.kind = t.kind AND o.namespace = t.namespace AND o.name = t.name
        ), owners_new AS (
            INSERT INTO owners (owner_uid, kind, namespace, name)
            SELECT * FROM unnest($22::text[], $23::text[], $24::text[], $25::text[])
            ON CONFLICT DO NOTHING
        ), bump AS (
            UPDATE revision SET rv = $26::bigint RETURNING rv
        )
        SELECT pg_notify($27::text, rv::text) FROM bump
        """

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 27)
        b.append(log.rv)
        b.append(log.type)
        append(log.keys, to: &b)
        b.append(log.body)
        b.append(log.previous)
        append(puts.keys, to: &b)
        b.append(puts.uid)
        b.append(puts.rv)
        b.append(puts.labels)
        b.append(puts.fields)
        append(gone, to: &b)
        for rows in [ownersGone, ownersNew] {
            b.append(rows.owner)
            append(rows.keys, to: &b)
        }
        b.append(rv)
        b.append(channel)
        return b
    }

    private func append(_ keys: Keys, to b: inout PostgresBindings) {
        b.append(keys.kind)
        b.append(keys.namespace)
        b.append(keys.name)
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
