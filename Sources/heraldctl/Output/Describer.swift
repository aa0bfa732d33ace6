import Foundation
import HeraldAPI

/// `describe` output: kubectl's generic describer layout (title-cased keys, nested levels,
/// everything through one tabwriter), with Herald's status shown as tables: delivery counts,
/// conditions, and the object's Events.
struct Describer: Sendable {
    var now: Date

    /// Metadata fields shown on top or not at all.
    static let metadataShownElsewhere: Set<String> = ["name", "namespace", "labels", "annotations", "managedFields"]
    /// Annotations kubectl never shows in describe.
    static let skippedAnnotations: Set<String> = [LastApplied.annotation]

    func describe(_ object: JSON, events: [JSON]?) -> String {
        var lines: [String] = []
        let meta = object["metadata"] ?? .emptyObject
        lines.append("Name:\t\(meta["name"]?.stringValue ?? "")")
        if let namespace = meta["namespace"]?.stringValue {
            lines.append("Namespace:\t\(namespace)")
        }
        lines += Describer.multiline(
            "Labels", (meta["labels"]?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        let annotations = (meta["annotations"]?.stringMap ?? [:])
            .filter { !Describer.skippedAnnotations.contains($0.key) }
            .sorted { $0.key < $1.key }
            .map { "\($0.key): \(Describer.truncate($0.value))" }
        lines += Describer.multiline("Annotations", annotations)

        guard case .object(var rest) = object else {
            return TabWriter(minWidth: 0, padding: 2).format(lines.joined(separator: "\n") + "\n")
        }
        if case .object(var metaRest) = meta {
            for key in Describer.metadataShownElsewhere { metaRest[key] = nil }
            if metaRest.isEmpty {
                rest["metadata"] = Optional<JSON>.none
            } else {
                rest["metadata"] = .object(metaRest)
            }
        }
        let status = rest["status"]
        rest["status"] = nil
        for key in rest.keys.sorted(by: Describer.topLevelOrder) {
            guard let value = rest[key] else { continue }
            Describer.field(key, value, level: 0, into: &lines)
        }
        if let status { describeStatus(status, into: &lines) }
        if let events { describeEvents(events, into: &lines) }
        return TabWriter(minWidth: 0, padding: 2).format(lines.joined(separator: "\n") + "\n")
    }

    /// apiVersion, kind, metadata first (as kubectl's sorted keys put them), then the rest.
    static func topLevelOrder(_ a: String, _ b: String) -> Bool {
        let first = ["apiVersion", "kind", "metadata"]
        let ia = first.firstIndex(of: a) ?? first.count
        let ib = first.firstIndex(of: b) ?? first.count
        return ia != ib ? ia < ib : a < b
    }

    func describeStatus(_ status: JSON, into lines: inout [String]) {
        guard case .object(var fields) = status else {
            Describer.field("status", status, level: 0, into: &lines)
            return
        }
        lines.append("Status:")
        let conditions = fields["conditions"]?.arrayValue
        let deliveries = fields["deliveries"]?.objectValue
        fields["conditions"] = nil
        fields["deliveries"] = nil
        for key in fields.keys.sorted() {
            guard let value = fields[key] else { continue }
            Describer.field(key, value, level: 1, into: &lines)
        }
        if let deliveries {
            let order = ["total", "pending", "delivered", "retrying", "failed", "suppressed", "expired"]
            let keys = order.filter { deliveries[$0] != nil } + deliveries.keys.filter { !order.contains($0) }.sorted()
            lines.append("  Deliveries:")
            lines.append("    " + keys.map(Describer.label).joined(separator: "\t"))
            lines.append("    " + keys.map { String(repeating: "-", count: Describer.label($0).count) }.joined(separator: "\t"))
            lines.append("    " + keys.map { Describer.scalar(deliveries[$0] ?? .null) }.joined(separator: "\t"))
        }
        if let conditions {
            lines.append("  Conditions:")
            if conditions.isEmpty {
                lines[lines.count - 1] += "\t<none>"
            } else {
                lines.append("    Type\tStatus\tReason\tAge\tMessage")
                lines.append("    ----\t------\t------\t---\t-------")
                for c in conditions {
                    let age =
                        c["lastTransitionTime"]?.stringValue.flatMap(Timestamp.parse)
                        .map { Timestamp.age(since: $0, now: now) } ?? "<unknown>"
                    lines.append(
                        "    \(c["type"]?.stringValue ?? "")\t\(c["status"]?.stringValue ?? "")\t\(c["reason"]?.stringValue ?? "")\t\(age)\t\(c["message"]?.stringValue ?? "")"
                    )
                }
            }
        }
    }

    /// kubectl's Events table: newest last, `Age` as "5s (x3 over 2m)" for repeated events.
    func describeEvents(_ events: [JSON], into lines: inout [String]) {
        guard !events.isEmpty else {
            lines.append("Events:\t<none>")
            return
        }
        func time(_ e: JSON, _ key: String) -> Date? {
            e[key]?.stringValue.flatMap(Timestamp.parse) ?? e["eventTime"]?.stringValue.flatMap(Timestamp.parse)
        }
        let sorted = events.sorted {
            (time($0, "lastTimestamp") ?? .distantPast) < (time($1, "lastTimestamp") ?? .distantPast)
        }
        lines.append("Events:")
        lines.append("  Type\tReason\tAge\tFrom\tMessage")
        lines.append("  ----\t------\t----\t----\t-------")
        for e in sorted {
            let last = time(e, "lastTimestamp")
            let first = time(e, "firstTimestamp")
            let count = e["count"]?.intValue ?? 1
            var age = last.map { Timestamp.age(since: $0, now: now) } ?? "<unknown>"
            if count > 1, let first {
                age += " (x\(count) over \(Timestamp.age(since: first, now: now)))"
            }
            var from = e["source"]?["component"]?.stringValue ?? e["reportingComponent"]?.stringValue ?? ""
            if let host = e["source"]?["host"]?.stringValue, !host.isEmpty { from += ", \(host)" }
            let message = (e["message"]?.stringValue ?? "").trimmed
            lines.append("  \(e["type"]?.stringValue ?? "")\t\(e["reason"]?.stringValue ?? "")\t\(age)\t\(from)\t\(message)")
        }
    }

    /// One field, the way kubectl's `printUnstructuredContent` writes it.
    static func field(_ key: String, _ value: JSON, level: Int, into lines: inout [String]) {
        let indent = String(repeating: "  ", count: level)
        switch value {
        case .object(let map):
            lines.append("\(indent)\(label(key)):")
            for child in map.keys.sorted() {
                if let v = map[child] { field(child, v, level: level + 1, into: &lines) }
            }
        case .array(let items):
            lines.append("\(indent)\(label(key)):")
            for item in items {
                if case .object(let map) = item {
                    for child in map.keys.sorted() {
                        if let v = map[child] { field(child, v, level: level + 1, into: &lines) }
                    }
                } else {
                    lines.append("\(indent)  \(scalar(item))")
                }
            }
        default:
            lines.append("\(indent)\(label(key)):\t\(scalar(value))")
        }
    }

    static func scalar(_ value: JSON) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "<nil>"
        default: return value.serializedString()
        }
    }

    static func multiline(_ title: String, _ entries: [String]) -> [String] {
        guard let first = entries.first else { return ["\(title):\t<none>"] }
        return ["\(title):\t\(first)"] + entries.dropFirst().map { "\t\($0)" }
    }

    static func truncate(_ value: String) -> String {
        let oneLine = value.replacingOccurrences(of: "\n", with: " ")
        return oneLine.count > 140 ? String(oneLine.prefix(137)) + "..." : oneLine
    }

    static let acronyms: Set<String> = ["API", "URL", "UID", "OSB", "GUID", "ID", "TLS", "SMS", "HTML"]

    /// kubectl's `smartLabelFor`: `templateRef` → `Template Ref`, `apiVersion` → `API Version`.
    /// Keys with characters other than letters and `-` are shown as they are.
    static func label(_ field: String) -> String {
        guard !field.isEmpty, field.allSatisfy({ $0.isLetter || $0 == "-" }) else { return field }
        var parts: [String] = []
        var current = ""
        let chars = Array(field)
        for (i, c) in chars.enumerated() {
            // A capital starts a word (`templateRef`), also ending an acronym (`APIVersion`),
            // but not right after a dash (`X-Team` stays one word).
            let startsWord =
                c.isUppercase && !current.isEmpty && chars[i - 1] != "-"
                && (!(chars[i - 1].isUppercase) || (i + 1 < chars.count && chars[i + 1].isLowercase))
            if startsWord {
                parts.append(current)
                current = ""
            }
            current.append(c)
        }
        if !current.isEmpty { parts.append(current) }
        return parts.map { part in
            if acronyms.contains(part.uppercased()) && part.count > 1 { return part.uppercased() }
            return part.prefix(1).uppercased() + part.dropFirst()
        }.joined(separator: " ")
    }
}
