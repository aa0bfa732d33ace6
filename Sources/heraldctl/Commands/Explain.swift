import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl explain`: documentation of a kind or field, from the server's OpenAPI v3.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe the fields of a resource type, e.g. explain notification.spec.to.",
        discussion: """
            Examples:
              heraldctl explain notifications
              heraldctl explain notification.spec.retry
              heraldctl explain channel --recursive
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "TYPE[.field.path]")
    var target: String

    @Flag(help: "Print the fields of fields, all the way down.")
    var recursive = false

    @Option(name: .customLong("api-version"), help: "Use this group/version, e.g. herald.dev/v1alpha1.")
    var apiVersion: String?

    func run() async throws {
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let discovery = try await session.discovery()
            // A dotted argument is TYPE.field.path: the type is the first segment, as kubectl reads it.
            let parts = target.split(separator: ".").map(String.init)
            guard let typed = parts.first else { throw CLIError.message("you must specify the type of resource to explain") }
            var resource = try discovery.resolve(typed)
            if let apiVersion {
                guard let match = discovery.resources.first(where: { $0.groupVersion == apiVersion && $0.kind == resource.kind })
                else {
                    throw CLIError.message("couldn't find resource for \"\(apiVersion), Kind=\(resource.kind)\"")
                }
                resource = match
            }
            let (schemas, root) = try await Explain.schema(for: resource, client: session.client)
            let printer = ExplainPrinter(schemas: schemas)
            Console.out(
                try printer.render(
                    group: resource.group, kind: resource.kind, version: resource.version, root: root,
                    path: Array(parts.dropFirst()), recursive: recursive))
        }
    }

    /// Finds the kind's schema in its group-version document (tagged with
    /// x-kubernetes-group-version-kind, contract 3.3).
    static func schema(for resource: APIResource, client: APIClient) async throws(CLIError) -> (JSONObject, JSON) {
        let notFound = CLIError.message("couldn't find resource for \"\(resource.groupVersion), Kind=\(resource.kind)\"")
        let index = try await client.get("/openapi/v3")
        let key = resource.group.isEmpty ? "api/\(resource.version)" : "apis/\(resource.group)/\(resource.version)"
        guard let url = index["paths"]?[key]?["serverRelativeURL"]?.stringValue else { throw notFound }
        let parts = url.split(separator: "?", maxSplits: 1).map(String.init)
        var query: [(String, String)] = []
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                query.append((kv[0], kv.count > 1 ? kv[1] : ""))
            }
        }
        let document = try await client.get(parts[0], query: query)
        let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
        for name in schemas.keys.sorted() {
            guard let schema = schemas[name] else { continue }
            let gvks = schema["x-kubernetes-group-version-kind"]?.arrayValue ?? []
            if gvks.contains(where: {
                $0["group"]?.stringValue ?? "" == resource.group && $0["version"]?.stringValue == resource.version
                    && $0["kind"]?.stringValue == resource.kind
            }) {
                return (schemas, schema)
            }
        }
        throw notFound
    }
}
