import Foundation
import HeraldAPI
import Logging
import PostgresNIO

extension PostgresStore {
    public func get(_ key: ObjectKey) async throws -> Resource {
        guard let found = try await load(key) else { throw StoreError.notFound(key) }
        return found
    }

    func load(_ key: ObjectKey) async throws -> Resource? {
        try await perform("reading \(key)") { c in
            var found: Resource?
            for try await body in try await c.query(
                "SELECT body FROM objects WHERE kind = \(key.kind) AND namespace = \(key.namespace) AND name = \(key.name)",
                logger: self.logger
            ).decode(ByteBuffer.self) {
                found = try PostgresRows.decode(body)
            }
            return found
        }
    }

    public func currentResourceVersion() async throws -> Int64 {
        try await perform("reading the resourceVersion") { c in
            var rv: Int64 = 0
            for try await value in try await c.query("SELECT rv FROM revision", logger: self.logger).decode(Int64.self) {
                rv = value
            }
            return rv
        }
    }

    public func list(kind: String, namespace: String?, options: ListOptions) async throws -> ResourceList {
        let start = try options.continueToken.map(ContinueToken.init(decoding:))
        let limit = options.limit.flatMap { $0 > 0 ? $0 : nil }
        let query = PostgresListQuery.make(
            kind: kind, namespace: namespace ?? options.fieldSelector.pinnedNamespace, options: options,
            definition: kinds.kind(kind), after: start, limit: limit.map { $0 + 1 })
        let (rv, objects) = try await perform("listing \(kind)") { c in
            var rv: Int64 = 0
            var objects: [Resource] = []
            for try await (version, body) in try await c.query(query, logger: self.logger).decode((Int64, ByteBuffer?).self) {
                rv = version
                if let body { objects.append(try PostgresRows.decode(body)) }
            }
            return (rv, objects)
        }
        var items = objects
        var token: String?
        if let limit, items.count > limit {
            items.removeLast(items.count - limit)
            if let last = items.last {
                token = ContinueToken(resourceVersion: rv, namespace: last.namespace, name: last.name).encoded
            }
        }
        return ResourceList(items: items, resourceVersion: rv, continueToken: token)
    }

    public func orphanedDependents(limit: Int) async throws -> [ObjectKey] {
        try await perform("finding orphaned dependents") { c in
            var keys: [ObjectKey] = []
            let rows = try await c.query(
                """
                SELECT d.kind, d.namespace, d.name FROM owners d
                GROUP BY d.kind, d.namespace, d.name
                HAVING bool_and(NOT EXISTS (SELECT 1 FROM objects p WHERE p.uid = d.owner_uid))
                LIMIT \(Int64(limit))
                """, logger: self.logger)
            for try await (kind, namespace, name) in rows.decode((String, String, String).self) {
                keys.append(ObjectKey(kind: kind, namespace: namespace, name: name))
            }
            return keys
        }
    }

    /// For `/readyz`: a short timeout, so a probe answers quickly while PostgreSQL is down.
    public func ping() async throws {
        try await perform("answering a health check", timeout: min(configuration.operationTimeout, .seconds(2))) { c in
            _ = try await c.query("SELECT 1", logger: self.logger)
        }
    }
}
