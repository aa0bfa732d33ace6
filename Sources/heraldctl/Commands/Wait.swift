import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl wait`: blocks until objects reach a condition, or are deleted.
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait for a condition on one or many resources.",
        discussion: """
            Examples:
              heraldctl wait --for=condition=Delivered notification/welcome --timeout=60s
              heraldctl wait --for=condition=Ready=false notif welcome
              heraldctl wait --for=jsonpath='{.status.phase}'=Delivered notif/welcome
              heraldctl wait --for=delete notif/welcome --timeout=30s
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "TYPE NAME... or TYPE/NAME...")
    var arguments: [String] = []

    @Option(name: .customLong("for"), help: "delete, condition=NAME[=VALUE] (default value True), or jsonpath={PATH}[=VALUE].")
    var condition: String

    @Option(help: "How long to wait (e.g. 30s, 5m); 0 checks once; negative waits a week.")
    var timeout = "30s"

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Wait for every object matching this label selector.")
    var selector: String?

    @Flag(help: "Wait for every object of the type in the namespace.")
    var all = false

    func run() async throws {
        let condition = try WaitCondition.parse(self.condition)
        guard let seconds = TimeoutParser.seconds(timeout) else {
            throw CLIError.message("invalid timeout \"\(timeout)\": use a duration such as 30s or 5m")
        }
        let deadline = Date().addingTimeInterval(seconds < 0 ? 7 * 24 * 3600 : seconds)
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            guard !arguments.isEmpty else {
                throw CLIError.message("resource(s) were provided, but no name was specified")
            }
            let discovery = try await session.discovery()
            var targets: [(resource: APIResource, name: String)] = []
            switch try ResourceArguments.parse(arguments, discovery: discovery) {
            case .objects(let items):
                targets = items
            case .collections(let resources):
                guard selector != nil || all else {
                    throw CLIError.message("resource(s) were provided, but no name, label selector, or --all flag specified")
                }
                for resource in resources {
                    var query: [(String, String)] = []
                    if let selector { query.append(("labelSelector", selector)) }
                    let list = try await session.client.get(resource.collectionPath(namespace: session.namespace), query: query)
                    targets += ObjectPrinter.items(of: list).map { (resource, Resource($0).name) }
                }
                if targets.isEmpty, case .delete = condition { return }
                if targets.isEmpty { throw CLIError.message("no matching resources found") }
            }
            let waiter = Waiter(client: session.client)
            for (resource, name) in targets {
                // kubectl first GETs the object: a missing one is an error, except when waiting
                // for its deletion, which is then already done.
                let live: JSON
                do throws(CLIError) {
                    live = try await session.client.get(resource.itemPath(namespace: session.namespace, name: name))
                } catch let error where error.isNotFound {
                    if case .delete = condition { continue }
                    throw error
                }
                let uid = live["metadata"]?["uid"]?.stringValue
                if !condition.isMet(live) {
                    try await waiter.wait(
                        resource: resource, namespace: session.namespace, name: name,
                        uid: { if case .delete = condition { return uid } else { return nil } }(),
                        deadline: deadline, until: condition)
                }
                Console.line("\(resource.qualifiedKind)/\(name) condition met")
            }
        }
    }
}
