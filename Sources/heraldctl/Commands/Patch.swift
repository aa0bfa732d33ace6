import ArgumentParser
import HeraldAPI

/// `heraldctl patch`: a merge or JSON patch on an object or its status subresource.
struct Patch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Update fields of a resource with a merge patch or a JSON patch.",
        discussion: """
            The default type is merge: Herald's kinds, like any custom resource, have no
            strategic merge patch.
            Examples:
              heraldctl patch notif welcome -p '{"spec":{"suspend":true}}'
              heraldctl patch notif/welcome --type=json -p '[{"op":"remove","path":"/spec/notBefore"}]'
              heraldctl patch notif welcome --subresource=status -p '{"status":{"phase":"Delivered"}}'
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "TYPE NAME or TYPE/NAME")
    var arguments: [String] = []

    @Option(name: .shortAndLong, help: "The patch, as JSON or YAML.")
    var patch: String

    @Option(help: "merge (default), json, or strategic.")
    var type = "merge"

    @Option(help: "Patch a subresource, e.g. status.")
    var subresource: String?

    @Option(name: .customLong("dry-run"), help: "none, client, or server.")
    var dryRun: String?

    @Option(name: .customLong("field-manager"), help: "Name of the manager recorded for the change.")
    var fieldManager = "kubectl-patch"

    static let contentTypes = [
        "merge": "application/merge-patch+json", "json": "application/json-patch+json",
        "strategic": "application/strategic-merge-patch+json",
    ]

    func run() async throws {
        let dryRun = try DryRun.parse(self.dryRun)
        guard let contentType = Patch.contentTypes[type] else {
            throw CLIError.message("--type must be one of [json merge strategic], not \"\(type)\"")
        }
        let body: JSON
        do {
            body = try JSON.parseJSONOrYAML(Array(patch.utf8))
        } catch {
            throw CLIError.message("unable to parse \"\(patch)\": \(error.description)")
        }
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let discovery = try await session.discovery()
            guard case .objects(let items) = try ResourceArguments.parse(arguments, discovery: discovery),
                items.count == 1, let (resource, name) = items.first
            else {
                throw CLIError.message("exactly one resource must be named, e.g. heraldctl patch notif NAME -p ...")
            }
            var path = resource.itemPath(namespace: session.namespace, name: name)
            // Like kubectl: read first, so a missing object is reported plainly.
            let before = try await session.client.get(path)
            if let subresource { path += "/\(subresource)" }
            let display = "\(resource.qualifiedKind)/\(name)"
            if dryRun == .client {
                Console.line("\(display) patched\(dryRun.suffix)")
                return
            }
            let after: JSON
            do throws(CLIError) {
                after = try await session.client.request(
                    .PATCH, path, query: dryRun.query + [("fieldManager", fieldManager)], contentType: contentType, body: body)
            } catch {
                if case .server(let status, _) = error, status.code == 415 {
                    throw CLIError.message(
                        "\(contentType) is not supported by \(resource.groupVersion), Kind=\(resource.kind): \(status.message)")
                }
                throw error
            }
            let unchanged = before["metadata"]?["resourceVersion"] == after["metadata"]?["resourceVersion"]
            Console.line("\(display) patched\(unchanged ? " (no change)" : "")\(dryRun.suffix)")
        }
    }
}
