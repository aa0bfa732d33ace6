import Foundation
import HeraldAPI

/// Aligns rows into columns the way kubectl's tabwriter does (`minwidth 6, padding 3` for
/// `get`, `minwidth 0, padding 2` inside `describe`): every column but the last is padded to its
/// widest cell plus the padding; the last column is written as is.
struct TableLayout: Sendable, Equatable {
    var minWidth: Int
    var padding: Int

    static let get = TableLayout(minWidth: 6, padding: 3)
    static let describe = TableLayout(minWidth: 0, padding: 2)

    /// The width of each column but the last, from every row (header included).
    func widths(_ rows: [[String]]) -> [Int] {
        let columns = rows.map(\.count).max() ?? 0
        guard columns > 1 else { return [] }
        var widths = Array(repeating: minWidth, count: columns - 1)
        for row in rows {
            for (i, cell) in row.enumerated() where i < columns - 1 {
                widths[i] = max(widths[i], TableLayout.displayWidth(cell) + padding)
            }
        }
        return widths
    }

    /// One line (without its newline); cells wider than their column push the rest right.
    func format(_ row: [String], widths: [Int]) -> String {
        var line = ""
        for (i, cell) in row.enumerated() {
            line += cell
            if i < row.count - 1 {
                let width = i < widths.count ? widths[i] : TableLayout.displayWidth(cell) + padding
                let pad = max(width - TableLayout.displayWidth(cell), padding)
                line += String(repeating: " ", count: pad)
            }
        }
        return line
    }

    /// Rows aligned as Go's tabwriter aligns them (see ``TabWriter``).
    func render(_ rows: [[String]]) -> String {
        TabWriter(minWidth: minWidth, padding: padding).format(lines: rows).map { $0 + "\n" }.joined()
    }

    /// Width in Unicode scalars, as Go's tabwriter counts runes.
    static func displayWidth(_ text: String) -> Int { text.unicodeScalars.count }
}

/// A `meta.k8s.io/v1` Table as the server sends it for `get`.
struct ServerTable: Sendable {
    struct Column: Sendable, Equatable {
        var name: String
        var priority: Int
    }

    struct Row: Sendable {
        var cells: [JSON]
        var object: JSON?

        var metadata: JSON? { object?["metadata"] }
    }

    var columns: [Column]
    var rows: [Row]
    var resourceVersion: String?

    init(columns: [Column], rows: [Row], resourceVersion: String? = nil) {
        self.columns = columns
        self.rows = rows
        self.resourceVersion = resourceVersion
    }

    /// Reads a Table; nil when the body is something else (a server that ignored the Accept).
    init?(json: JSON) {
        guard json["kind"]?.stringValue == "Table" else { return nil }
        columns = (json["columnDefinitions"]?.arrayValue ?? []).map {
            Column(name: $0["name"]?.stringValue ?? "", priority: Int($0["priority"]?.intValue ?? 0))
        }
        rows = (json["rows"]?.arrayValue ?? []).map {
            Row(cells: $0["cells"]?.arrayValue ?? [], object: $0["object"])
        }
        resourceVersion = json["metadata"]?["resourceVersion"]?.stringValue
    }

    /// A NAME/AGE table built on the client, for servers that answer plain objects or lists.
    init(objects: [JSON], now: Date) {
        columns = [Column(name: "Name", priority: 0), Column(name: "Age", priority: 0)]
        rows = objects.map { object in
            let created = object["metadata"]?["creationTimestamp"]?.stringValue.flatMap(Timestamp.parse)
            let age = created.map { Timestamp.age(since: $0, now: now) } ?? "<unknown>"
            return Row(cells: [object["metadata"]?["name"] ?? "", .string(age)], object: object)
        }
        resourceVersion = nil
    }

    struct Options: Sendable, Equatable {
        var wide = false
        var withNamespace = false
        var showLabels = false
    }

    func header(_ options: Options) -> [String] {
        var header: [String] = options.withNamespace ? ["NAMESPACE"] : []
        for column in columns where options.wide || column.priority == 0 {
            header.append(column.name.uppercased())
        }
        if options.showLabels { header.append("LABELS") }
        return header
    }

    func textRows(_ options: Options) -> [[String]] {
        rows.map { row in
            var out: [String] = []
            if options.withNamespace { out.append(row.metadata?["namespace"]?.stringValue ?? "") }
            for (i, column) in columns.enumerated() where options.wide || column.priority == 0 {
                out.append(i < row.cells.count ? ServerTable.cellText(row.cells[i]) : "")
            }
            if options.showLabels {
                let labels = (row.metadata?["labels"]?.stringMap ?? [:]).sorted { $0.key < $1.key }
                out.append(labels.isEmpty ? "<none>" : labels.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }
            return out
        }
    }

    /// Cells print verbatim (the server already humanised ages); missing ones as `<none>`.
    static func cellText(_ cell: JSON) -> String {
        switch cell {
        case .null: return "<none>"
        case .string(let s): return s
        default: return cell.serializedString()
        }
    }
}
