/// A field another manager owns that an apply would change.
public struct ApplyConflict: Sendable, Hashable {
    public var manager: String
    public var path: [String]

    public var fieldPath: String { "." + path.joined(separator: ".") }
}

public struct ApplyConflictError: Error, Sendable {
    public var conflicts: [ApplyConflict]
    public var apiVersion: String
}

/// Server-side apply and field ownership tracking, as pure functions over JSON objects.
public enum ServerSideApply {
    static func entries(_ object: JSON) -> [ManagedFieldsEntry] {
        object["metadata"]?["managedFields"]?.arrayValue?.compactMap(ManagedFieldsEntry.init(json:)) ?? []
    }

    static func store(_ entries: [ManagedFieldsEntry], in object: inout JSON) {
        let kept = entries.filter { !$0.fields.paths.isEmpty }
            .sorted { ($0.operation, $0.manager) < ($1.operation, $1.manager) }
        object.set(path: ["metadata", "managedFields"], to: kept.isEmpty ? nil : .array(kept.map(\.json)))
    }

    /// Merges an applied configuration into the live object for `manager`.
    /// - Returns: the desired object, with managedFields updated.
    /// - Throws: `ApplyConflictError` when another manager owns a field whose value would change and
    ///   `force` is false.
    public static func apply(
        _ applied: JSON, to live: JSON?, manager: String, force: Bool, apiVersion: String,
        time: String
    ) throws(ApplyConflictError) -> JSON {
        let appliedSet = FieldSet(leavesOf: applied)
        guard var result = live else {
            var created = applied
            store(
                [ManagedFieldsEntry(manager: manager, operation: "Apply", apiVersion: apiVersion, time: time, fields: appliedSet)],
                in: &created)
            return created
        }
        var managers = entries(result)
        // Conflicts: fields whose value changes and that someone else owns.
        var conflicts: [ApplyConflict] = []
        for path in appliedSet.paths where applied[path: path] != result[path: path] {
            for entry in managers where entry.manager != manager && entry.fields.paths.contains(path) {
                conflicts.append(ApplyConflict(manager: entry.manager, path: path))
            }
        }
        if !conflicts.isEmpty && !force {
            throw ApplyConflictError(
                conflicts: conflicts.sorted { ($0.manager, $0.fieldPath) < ($1.manager, $1.fieldPath) }, apiVersion: apiVersion)
        }
        // Fields this manager applied before and no longer applies go away, unless someone else owns them too.
        let previous = managers.first { $0.manager == manager && $0.operation == "Apply" }?.fields.paths ?? []
        let valueChanged = appliedSet.paths.contains { applied[path: $0] != result[path: $0] }
        if !valueChanged && previous == appliedSet.paths {
            // A repeated apply is a no-op: not even the managedFields timestamp moves.
            return result
        }
        for path in previous.subtracting(appliedSet.paths) {
            let sharedWithOthers = managers.contains { $0.manager != manager && $0.fields.paths.contains(path) }
            if !sharedWithOthers { remove(path, from: &result) }
        }
        for path in appliedSet.paths.sorted(by: { $0.count < $1.count }) {
            result.set(path: path, to: applied[path: path])
        }
        // Ownership: forced conflicts move to this manager; equal values are shared.
        let taken = Set(conflicts.map(\.path))
        for i in managers.indices where managers[i].manager != manager {
            managers[i].fields.paths.subtract(taken)
        }
        managers.removeAll { $0.manager == manager && $0.operation == "Apply" }
        managers.append(ManagedFieldsEntry(manager: manager, operation: "Apply", apiVersion: apiVersion, time: time, fields: appliedSet))
        store(managers, in: &result)
        return result
    }

    /// Records an ordinary write (create, update, patch) by `manager`: it takes the fields it changed.
    /// When the write itself rewrote managedFields (kubectl's ownership migration), that is kept as is.
    public static func recordUpdate(old: JSON?, new: JSON, manager: String, apiVersion: String, time: String) -> JSON {
        var result = new
        if let old, old["metadata"]?["managedFields"] != new["metadata"]?["managedFields"] {
            return result
        }
        let changed = old.map { FieldSet.changed(from: $0, to: new) } ?? FieldSet(leavesOf: new)
        if changed.paths.isEmpty { return result }
        var managers = entries(new)
        for i in managers.indices where managers[i].manager != manager || managers[i].operation != "Update" {
            managers[i].fields.paths.subtract(changed.paths)
        }
        // Removed fields are no longer owned by anyone.
        let present = FieldSet(leavesOf: new).paths
        if let index = managers.firstIndex(where: { $0.manager == manager && $0.operation == "Update" }) {
            managers[index].fields.paths.formUnion(changed.paths)
            managers[index].fields.paths.formIntersection(present)
            managers[index].time = time
        } else {
            managers.append(
                ManagedFieldsEntry(
                    manager: manager, operation: "Update", apiVersion: apiVersion, time: time,
                    fields: FieldSet(changed.paths.intersection(present))))
        }
        store(managers, in: &result)
        return result
    }

    static func remove(_ path: [String], from json: inout JSON) {
        json.set(path: path, to: nil)
        // Drop parents left empty by the removal.
        var parent = Array(path.dropLast())
        while parent.count > 1, case .object(let o)? = json[path: parent], o.isEmpty {
            json.set(path: parent, to: nil)
            parent.removeLast()
        }
    }
}
