import HeraldAPI
import PostgresNIO

/// Translates a list request into one SQL statement. Selectors become predicates (GIN on
/// `labels`, the primary key for namespace and continue, (kind, name) for names; `fields` is
/// filtered within the key range, see migration 2) with exactly the meaning of `LabelSelector.matches` and `FieldSelector.matches`, so
/// `LIMIT` is applied by PostgreSQL and a page is never short.
struct PostgresListQuery {
    private var binds = PostgresBindings()
    private var conditions: [String] = []

    /// The statement returns one row per object — `(rv, body)` — or a single `(rv, NULL)` row when
    /// nothing matches. rv and objects come from the same statement, hence the same snapshot.
    static func make(
        kind: String, namespace: String?, options: ListOptions, definition: KindDefinition?,
        after: ContinueToken?, limit: Int?
    ) -> PostgresQuery {
        var q = PostgresListQuery()
        q.conditions.append("kind = \(q.bind(kind))")
        if let ns = namespace {
            q.conditions.append("namespace = \(q.bind(ns))")
        }
        q.addLabels(options.labelSelector)
        if !options.fieldSelector.isEmpty {
            // Mirrors the embedded store: without a kind definition no field can be read, so nothing matches.
            if definition == nil { q.conditions.append("false") }
            q.addFields(options.fieldSelector)
        }
        if let after {
            q.conditions.append("(namespace, name) > (\(q.bind(after.namespace)), \(q.bind(after.name)))")
        }
        var inner =
            "SELECT namespace, name, body FROM objects WHERE " + q.conditions.joined(separator: " AND ")
            + " ORDER BY namespace, name"
        if let limit { inner += " LIMIT \(q.bind(Int64(limit)))" }
        let sql = """
            SELECT r.rv, o.body FROM revision r
            LEFT JOIN LATERAL (\(inner)) o ON true
            ORDER BY o.namespace, o.name
            """
        return PostgresQuery(unsafeSQL: sql, binds: q.binds)
    }

    private mutating func bind(_ value: String) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    private mutating func bind(_ value: Int64) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    private mutating func jsonb(_ key: String, _ value: String) -> String {
        "\(bind(JSON.object([key: .string(value)]).serializedString()))::jsonb"
    }

    private mutating func addLabels(_ selector: LabelSelector) {
        for requirement in selector.requirements {
            switch requirement {
            case .equals(let k, let v):
                conditions.append("labels @> \(jsonb(k, v))")
            case .notEquals(let k, let v):
                conditions.append("NOT (labels @> \(jsonb(k, v)))")
            case .in(let k, let values):
                conditions.append(anyOf(k, values))
            case .notIn(let k, let values):
                conditions.append("NOT \(anyOf(k, values))")
            case .exists(let k):
                conditions.append("labels ? \(bind(k))")
            case .doesNotExist(let k):
                conditions.append("NOT (labels ? \(bind(k)))")
            }
        }
    }

    /// `k in (a, b)` as ORed containment tests: each can use the GIN index, unlike `->> = ANY`.
    private mutating func anyOf(_ key: String, _ values: Set<String>) -> String {
        if values.isEmpty { return "(false)" }
        var parts: [String] = []
        for v in values.sorted() { parts.append("labels @> \(jsonb(key, v))") }
        return "(" + parts.joined(separator: " OR ") + ")"
    }

    private mutating func addFields(_ selector: FieldSelector) {
        for r in selector.requirements {
            let test: String
            switch r.field {
            case "metadata.name":
                test = "name = \(bind(r.value))"
            case "metadata.namespace":
                test = "namespace = \(bind(r.value))"
            default:
                if r.value.isEmpty {
                    // A missing field reads as "", as in FieldSelector.matches.
                    test = "(NOT (fields ? \(bind(r.field))) OR fields @> \(jsonb(r.field, "")))"
                } else {
                    test = "fields @> \(jsonb(r.field, r.value))"
                }
            }
            conditions.append(r.negated ? "NOT (\(test))" : test)
        }
    }
}
