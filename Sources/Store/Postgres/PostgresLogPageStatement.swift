import HeraldAPI
import PostgresNIO

/// One page of the revision log, prepared once per connection. Every commit's NOTIFY makes each
/// server's reader run it, and its plan never changes (a range scan of the log's primary key),
/// yet unprepared it was parsed and planned each time: 545 plans per benchmark run.
struct PostgresLogPageStatement: PostgresPreparedStatement {
    struct Row {
        var rv: Int64
        var type: String
        var key: ObjectKey
        var body: ByteBuffer
        var previous: ByteBuffer?
    }

    static let name = "herald_log_page_v1"

    static let sql = """
        SELECT rv, type, kind, namespace, name, body, previous FROM log WHERE rv > $1 AND rv <= $2 ORDER BY rv LIMIT $3
        """

    var after: Int64
    var through: Int64
    var limit: Int64

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 3)
        b.append(after)
        b.append(through)
        b.append(limit)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        var cells = PostgresCellReader(row)
        return Row(
            rv: try cells.next(), type: try cells.next(),
            key: ObjectKey(kind: try cells.next(), namespace: try cells.next(), name: try cells.next()),
            body: try cells.next(), previous: try cells.next())
    }
}
