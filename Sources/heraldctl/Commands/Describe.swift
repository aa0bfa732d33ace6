import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl describe`: an object's spec, status tables, and the Events recorded about it.
struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show details of a resource: spec, conditions, delivery counts and events.",
        discussion: """
            Examples:
              heraldctl describe notification welcome
              heraldctl describe notif/welcome
              heraldctl describe notif -l team=sre
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "TYPE [NAME...] or TYPE/NAME...")
    var arguments: [String] = []

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Describe every object matching this label selector.")
    var selector: String?

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Across all namespaces.")
    var allNamespaces = false

    @Flag(name: .customLong("show-events"), inversion: .prefixedNo, help: "Show the events of each object.")
    var showEvents = true

    func run() async throws {
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            guard !arguments.isEmpty else {
                throw CLIError.message(
                    "You must specify the type of resource to describe. Use \"heraldctl api-resources\" for a complete list of supported resources."
                )
            }
            let discovery = try await session.discovery()
            var objects: [(APIResource, JSON)] = []
            var failures: [CLIError] = []
            switch try ResourceArguments.parse(arguments, discovery: discovery) {
            case .objects(let items):
                for (resource, name) in items {
                    do throws(CLIError) {
                        objects.append(
                            (resource, try await session.client.get(resource.itemPath(namespace: session.namespace, name: name))))
                    } catch {
                        failures.append(error)
                    }
                }
            case .collections(let resources):
                for resource in resources {
                    var query: [(String, String)] = []
                    if let selector { query.append(("labelSelector", selector)) }
                    let list = try await session.client.get(
                        resource.collectionPath(namespace: allNamespaces ? nil : session.namespace), query: query)
                    objects += ObjectPrinter.items(of: list).map { (resource, $0) }
                }
                if objects.isEmpty {
                    Console.error(
                        allNamespaces ? "No resources found" : "No resources found in \(session.namespace) namespace.")
                }
            }
            let describer = Describer(now: Date())
            for (index, (resource, object)) in objects.enumerated() {
                let events = showEvents ? try await Describe.events(for: object, resource: resource, session: session) : nil
                if index > 0 { Console.line("\n") }
                Console.out(describer.describe(object, events: events))
            }
            try Get.report(failures)
        }
    }

    /// The object's Events from the core events endpoint (contract fact 27); none when the
    /// server has no such endpoint.
    static func events(for object: JSON, resource: APIResource, session: Session) async throws(CLIError) -> [JSON] {
        let meta = Resource(object)
        let namespace = meta.namespace.isEmpty ? session.namespace : meta.namespace
        var selector = [
            "involvedObject.name=\(meta.name)", "involvedObject.namespace=\(namespace)",
            "involvedObject.kind=\(resource.kind)",
        ]
        if !meta.uid.isEmpty { selector.insert("involvedObject.uid=\(meta.uid)", at: 0) }
        do throws(CLIError) {
            let list = try await session.client.get(
                "/api/v1/namespaces/\(URLEncoding.encode(namespace))/events",
                query: [("fieldSelector", selector.joined(separator: ",")), ("limit", "500")])
            return list["items"]?.arrayValue ?? []
        } catch let error where error.isNotFound {
            return []
        }
    }
}
