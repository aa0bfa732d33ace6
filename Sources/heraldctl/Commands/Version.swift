import ArgumentParser
import HeraldAPI

/// `heraldctl version`: this client's version and the server's `/version`.
struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the client and server version information.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print only the client version.")
    var client = false

    @Option(name: .shortAndLong, help: "Output format: yaml or json.")
    var output: String?

    func run() async throws {
        if let output, output != "yaml", output != "json" {
            throw CLIError.message("--output must be 'yaml' or 'json'")
        }
        let clientInfo: JSON = ["gitVersion": .string(HeraldctlVersion.current), "platform": "linux/amd64"]
        if client {
            print(clientInfo, server: nil)
            return
        }
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            do throws(CLIError) {
                let server = try await session.client.get("/version")
                print(clientInfo, server: server)
            } catch {
                // The client version is still useful when the server cannot be reached.
                if output == nil { Console.line("Client Version: \(HeraldctlVersion.current)") }
                throw error
            }
        }
    }

    func print(_ clientInfo: JSON, server: JSON?) {
        switch output {
        case "json", "yaml":
            var doc: JSON = ["clientVersion": clientInfo]
            if let server { doc["serverVersion"] = server }
            Console.out(output == "json" ? doc.prettyString() + "\n" : doc.yamlString())
        default:
            Console.line("Client Version: \(HeraldctlVersion.current)")
            if let server { Console.line("Server Version: \(server["gitVersion"]?.stringValue ?? "unknown")") }
        }
    }
}
