import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl dlq show NAME`: everything about one dead letter, with its Events.
struct DLQShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one dead letter: last error, attempts, idempotency key, redrive state and events.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The dead letter's (Failed Delivery's) name.")
    var name: String

    @Option(name: .shortAndLong, help: "Output format: yaml or json (default: a readable page).")
    var output: String?

    func run() async throws {
        let format = try OutputFormat.parse(output)
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let letter = try await DeadLetters.get(session, name: name)
            guard letter.isFailed else {
                throw CLIError.message(
                    "delivery \"\(name)\" is \(letter.phase.isEmpty ? "not yet started" : letter.phase), not a dead letter: only Failed deliveries are (heraldctl get delivery \(name) shows it)"
                )
            }
            switch format {
            case .table, .wide:
                let events = try await Self.events(of: letter, session: session)
                Console.out(DeadLetterPrinter(now: Date()).show(letter, events: events))
            case .name:
                Console.line("\(DeadLetters.qualifiedKind)/\(letter.name)")
            case .json, .yaml, .jsonpath:
                Console.out(ObjectPrinter.render(letter.object, format: format))
            }
        }
    }

    /// The Delivery's Events: its failure, the Republished warnings of lost jobs, redrives.
    static func events(of letter: DeadLetter, session: Session) async throws(CLIError) -> [JSON] {
        var selector = ["involvedObject.kind=Delivery", "involvedObject.name=\(letter.name)"]
        if !letter.uid.isEmpty { selector.insert("involvedObject.uid=\(letter.uid)", at: 0) }
        let list = try await session.client.get(
            "/api/v1/namespaces/\(URLEncoding.encode(session.namespace))/events",
            query: [("fieldSelector", selector.joined(separator: ",")), ("limit", "500")])
        return list["items"]?.arrayValue ?? []
    }
}
