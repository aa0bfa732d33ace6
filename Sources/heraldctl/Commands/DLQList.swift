import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl dlq list`: the Failed deliveries, filtered by the server.
struct DLQList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List dead letters: deliveries in phase Failed (redriven ones only with --include-redriven).")

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Across all namespaces.")
    var allNamespaces = false

    @Option(help: "Only the dead letters of this Notification.")
    var notification: String?

    @Option(help: "Only the dead letters of this Channel.")
    var channel: String?

    @Flag(name: .customLong("include-redriven"), help: "Also list dead letters already redriven.")
    var includeRedriven = false

    @Option(name: .shortAndLong, help: "Output format: wide, yaml, json, name.")
    var output: String?

    func run() async throws {
        let format = try OutputFormat.parse(output)
        if case .jsonpath = format { throw CLIError.message("dlq list prints wide, yaml, json or name, not jsonpath") }
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let letters = try await DeadLetters.list(
                session, allNamespaces: allNamespaces, notification: notification, channel: channel,
                includeRedriven: includeRedriven)
            switch format {
            case .table, .wide:
                guard !letters.isEmpty else {
                    Console.error(allNamespaces ? "No dead letters found" : "No dead letters found in \(session.namespace) namespace.")
                    return
                }
                let printer = DeadLetterPrinter(now: Date())
                Console.out(printer.table(letters, wide: format.isWide, withNamespace: allNamespaces))
            case .name:
                for d in letters { Console.line("\(DeadLetters.qualifiedKind)/\(d.name)") }
            case .json, .yaml, .jsonpath:
                Console.out(ObjectPrinter.render(ObjectPrinter.list(letters.map(\.object)), format: format))
            }
        }
    }
}

extension OutputFormat {
    var isWide: Bool {
        if case .wide = self { return true }
        return false
    }
}
