import Foundation
import HeraldAPI

/// Server-side printing: `meta.k8s.io/v1` Tables with the kind's printer columns.
struct TableBuilder: Sendable {
    enum IncludeObject: String {
        case none = "None"
        case metadata = "Metadata"
        case object = "Object"
    }

    let definition: KindDefinition
    let include: IncludeObject

    var columnDefinitions: JSON {
        .array(
            definition.columns.map { c in
                [
                    "name": .string(c.name), "type": .string(c.type == "date" ? "string" : c.type),
                    "format": .string(c.name == "Name" ? "name" : ""), "description": .string(c.description),
                    "priority": .int(Int64(c.priority)),
                ]
            })
    }

    func row(_ r: Resource, now: Date) -> JSON {
        var row: JSONObject = ["cells": .array(definition.columns.map { $0.value(r, now) })]
        switch include {
        case .none: break
        case .metadata:
            row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": r.metadata]
        case .object:
            row["object"] = r.json
        }
        return .object(row)
    }

    func table(_ items: [Resource], resourceVersion: String?, continueToken: String?, withColumns: Bool = true) -> JSON {
        let now = Date()
        var meta: JSONObject = [:]
        if let resourceVersion { meta["resourceVersion"] = .string(resourceVersion) }
        if let continueToken { meta["continue"] = .string(continueToken) }
        var o: JSONObject = [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(meta),
            "rows": .array(items.map { row($0, now: now) }),
        ]
        o["columnDefinitions"] = withColumns ? columnDefinitions : .array([])
        return .object(o)
    }

    /// Whether the Accept header asks for a Table.
    static func wantsTable(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.contains("as=Table")
    }
}
