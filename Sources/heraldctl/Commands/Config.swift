import ArgumentParser
import HeraldAPI

/// `heraldctl config`: contexts in the client configuration file.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Modify the config file ($HERALDCONFIG or ~/.herald/config).",
        subcommands: [SetContext.self, UseContext.self, GetContexts.self, CurrentContext.self, View.self, DeleteContext.self])

    struct SetContext: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-context", abstract: "Create or modify a context (server, namespace, token).")

        @Argument(help: "Context name (or --current).")
        var name: String?

        @Flag(help: "Modify the current context.")
        var current = false

        @Option(help: "API server URL, e.g. http://127.0.0.1:8080.")
        var server: String?

        @Option(name: .shortAndLong, help: "Default namespace of the context.")
        var namespace: String?

        @Option(help: "Bearer token sent to the server.")
        var token: String?

        func run() throws {
            var config = try HeraldConfig.load()
            let target: String
            if current {
                guard let name = config.currentContext else { throw CLIError.message("no current context is set") }
                target = name
            } else {
                guard let name, !name.isEmpty else { throw CLIError.message("you must specify a non-empty context name or --current") }
                target = name
            }
            let existed = config.setContext(name: target, server: server, namespace: namespace, token: token)
            try config.save()
            Console.line("Context \"\(target)\" \(existed ? "modified" : "created").")
        }
    }

    struct UseContext: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "use-context", abstract: "Set the current context.")

        @Argument var name: String

        func run() throws {
            var config = try HeraldConfig.load()
            guard config.context(named: name) != nil else {
                throw CLIError.message("no context exists with the name: \"\(name)\"")
            }
            config.document["current-context"] = .string(name)
            try config.save()
            Console.line("Switched to context \"\(name)\".")
        }
    }

    struct GetContexts: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-contexts", abstract: "List the contexts.")

        @Argument var names: [String] = []

        @Option(name: .shortAndLong, help: "Output format: name.")
        var output: String?

        func run() throws {
            let config = try HeraldConfig.load()
            let names = self.names.isEmpty ? config.contextNames : self.names
            if output == "name" {
                for name in names { Console.line(name) }
                return
            }
            var rows = [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]]
            for name in names {
                guard let context = config.context(named: name) else {
                    throw CLIError.message("context \(name) not found")
                }
                rows.append([
                    config.currentContext == name ? "*" : "", name, context.cluster, context.user, context.namespace ?? "",
                ])
            }
            Console.out(TableLayout.get.render(rows))
        }
    }

    struct CurrentContext: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "current-context", abstract: "Print the current context.")

        func run() throws {
            guard let name = try HeraldConfig.load().currentContext else {
                throw CLIError.message("current-context is not set")
            }
            Console.line(name)
        }
    }

    struct View: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the config file (tokens redacted unless --raw).")

        @Flag(help: "Show tokens.")
        var raw = false

        @Option(name: .shortAndLong, help: "Output format: yaml (default) or json.")
        var output: String?

        func run() throws {
            let config = try HeraldConfig.load()
            let doc = raw ? config.document : config.redacted
            Console.out(output == "json" ? doc.prettyString() + "\n" : doc.yamlString())
        }
    }

    struct DeleteContext: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-context", abstract: "Delete a context.")

        @Argument var name: String

        func run() throws {
            var config = try HeraldConfig.load()
            guard config.deleteContext(name: name) else {
                throw CLIError.message("cannot delete context \(name), not in \(config.path)")
            }
            try config.save()
            Console.line("deleted context \(name) from \(config.path)")
        }
    }
}
