import ArgumentParser
import HeraldAPI

/// `heraldctl api-resources`: the resource types the server serves, from fresh discovery.
struct APIResources: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-resources", abstract: "Print the supported API resources on the server.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Output format: wide or name.")
    var output: String?

    @Option(name: .customLong("api-group"), help: "Only resources of this API group (\"\" for the core group).")
    var apiGroup: String?

    @Option(help: "true: only namespaced resources; false: only cluster-scoped ones.")
    var namespaced: Bool?

    @Flag(name: .customLong("no-headers"), help: "Omit the header line.")
    var noHeaders = false

    func run() async throws {
        if let output, output != "wide", output != "name" {
            throw CLIError.message("--output \(output) is not available")
        }
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let discovery = try await session.discovery()
            // Core group first, then by group and name, as kubectl sorts them.
            let resources = discovery.resources
                .filter { apiGroup == nil || $0.group == apiGroup }
                .filter { namespaced == nil || $0.namespaced == namespaced }
                .sorted { ($0.group, $0.name) < ($1.group, $1.name) }
            if output == "name" {
                for r in resources { Console.line(r.qualifiedResource) }
                return
            }
            let wide = output == "wide"
            var rows: [[String]] = []
            if !noHeaders {
                rows.append(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"] + (wide ? ["VERBS", "CATEGORIES"] : []))
            }
            for r in resources {
                var row = [r.name, r.shortNames.joined(separator: ","), r.groupVersion, String(r.namespaced), r.kind]
                if wide { row += [r.verbs.joined(separator: ","), r.categories.joined(separator: ",")] }
                rows.append(row)
            }
            Console.out(TableLayout.get.render(rows))
        }
    }
}
