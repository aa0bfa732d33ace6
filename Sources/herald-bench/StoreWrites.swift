import Foundation

/// How many store writes a burst cost, read from a PostgreSQL run's schema: each write takes one
/// revision, and the log says which kinds took them (the part of it not yet compacted).
struct StoreWrites {
    let postgresURL: String
    let schema: String

    func revision() -> Int64? {
        BenchEnvironment.query("SELECT rv FROM \(schema).revision", postgresURL: postgresURL)?.first?.first.flatMap { Int64($0) }
    }

    /// "2.71 per delivery (Delivery 2.00, Notification 0.41, Event 0.30)" for the writes after `since`.
    func summary(since: Int64, deliveries: Int) -> String? {
        guard let now = revision(),
            let rows = BenchEnvironment.query(
                "SELECT kind, count(*) FROM \(schema).log WHERE rv > \(since) AND rv <= \(now) GROUP BY kind ORDER BY count(*) DESC",
                postgresURL: postgresURL)
        else { return nil }
        let total = Double(now - since)
        let kinds = rows.compactMap { row -> (String, Int)? in
            guard row.count == 2, let n = Int(row[1]) else { return nil }
            return (row[0], n)
        }
        let logged = kinds.reduce(0) { $0 + $1.1 }
        // Compaction may have dropped the oldest rows: scale the kinds' shares up to the total.
        let scale = logged > 0 ? total / Double(logged) : 0
        let parts = kinds.map { "\($0.0) \(format(Double($0.1) * scale / Double(deliveries)))" }
        return "\(format(total / Double(deliveries))) per delivery (\(parts.joined(separator: ", ")))"
            + (logged < Int(total) ? "; kinds from the \(logged) of \(Int(total)) log rows not yet compacted" : "")
    }

    private func format(_ x: Double) -> String {
        String(format: "%.2f", x)
    }
}
