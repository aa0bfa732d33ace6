import Foundation
import HeraldAPI

/// The text of `dlq list` (a kubectl-style table) and `dlq show` (a describe-style page). Pure,
/// with the clock passed in, so the layout is unit-tested.
struct DeadLetterPrinter: Sendable {
    var now: Date

    /// The longest last-error message a table cell shows; `dlq show` prints it whole.
    static let errorWidth = 60

    func table(_ letters: [DeadLetter], wide: Bool, withNamespace: Bool) -> String {
        var header = ["NAME", "NOTIFICATION", "RECIPIENT", "CHANNEL", "ATTEMPTS", "REASON", "CODE", "LAST-ERROR", "FAILED"]
        if wide { header += ["CLASS", "ROUND", "REDRIVE"] }
        if withNamespace { header.insert("NAMESPACE", at: 0) }
        var rows = [header]
        for d in letters {
            var row = [
                d.name, d.notification, d.recipient, d.channel, String(d.attempts), cell(d.reason), cell(d.errorCode),
                cell(Self.truncated(d.errorMessage, wide ? Int.max : Self.errorWidth)), age(d.failedAt),
            ]
            if wide { row += [cell(d.errorClass), String(d.round), cell(d.redriveState)] }
            if withNamespace { row.insert(d.namespace, at: 0) }
            rows.append(row)
        }
        return TableLayout.get.render(rows)
    }

    func show(_ d: DeadLetter, events: [JSON]) -> String {
        var lines: [String] = []
        func add(_ label: String, _ value: String) { lines.append("\(label):\t\(value.isEmpty ? "<none>" : value)") }
        add("Name", d.name)
        add("Namespace", d.namespace)
        add("Notification", d.notification)
        add("Recipient", d.recipient)
        add("Channel", d.channelType.isEmpty ? d.channel : "\(d.channel) (\(d.channelType))")
        add("Address", Self.address(d.spec["address"]))
        add("Round", String(d.round))
        if let of = d.spec["redriveOf"]?.stringValue { add("Redrive Of", of) }
        add("Idempotency Key", d.idempotencyKey)
        add("Phase", d.phase)
        add("Reason", d.reason)
        add("Attempts", d.heldBack > 0 ? "\(d.attempts) (\(d.heldBack) held back: nothing sent)" : String(d.attempts))
        add("Last Attempt", time(d.status["lastAttemptTime"]?.stringValue))
        add("Failed", d.failedAt.map { "\(Timestamp.format($0)) (\(Timestamp.age(since: $0, now: now)) ago)" } ?? "")
        add("Redrive", d.redriveState)
        if d.errorCode.isEmpty && d.errorMessage.isEmpty {
            add("Last Error", "")
        } else {
            lines.append("Last Error:")
            lines.append("  Class:\t\(d.errorClass)")
            lines.append("  Code:\t\(d.errorCode)")
            lines.append("  Message:\t\(d.errorMessage)")
        }
        Describer(now: now).describeEvents(events, into: &lines)
        return TabWriter(minWidth: 0, padding: 2).format(lines.joined(separator: "\n") + "\n")
    }

    func cell(_ text: String) -> String { text.isEmpty ? "<none>" : text }

    func age(_ date: Date?) -> String {
        date.map { Timestamp.age(since: $0, now: now) } ?? "<unknown>"
    }

    func time(_ text: String?) -> String {
        guard let text, let date = Timestamp.parse(text) else { return "" }
        return "\(Timestamp.format(date)) (\(Timestamp.age(since: date, now: now)) ago)"
    }

    /// `email=ada@example.com`, the resolved address's fields in order.
    static func address(_ address: JSON?) -> String {
        let fields = (address?.objectValue ?? [:]).sorted { $0.key < $1.key }
        return fields.compactMap { key, value in value.stringValue.map { "\(key)=\($0)" } }.joined(separator: ", ")
    }

    /// One line, at most `width` characters, so a long provider message does not break the table.
    static func truncated(_ text: String, _ width: Int) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard line.count > width else { return line }
        return String(line.prefix(max(0, width - 3))) + "..."
    }
}
