import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl delete`: deletes by name, file, selector or all, then (by default) waits until the
/// objects are really gone, finalizers included.
struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete resources by name, file, label selector, or all in the namespace.",
        discussion: """
            Examples:
              heraldctl delete notification welcome
              heraldctl delete -f notification.yaml
              heraldctl delete notif -l campaign=spring
              heraldctl delete notif --all --wait=false
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "TYPE [NAME...] or TYPE/NAME...")
    var arguments: [String] = []

    @Option(name: [.customShort("f"), .customLong("filename")], help: "Delete the objects of these files (repeatable, - for stdin).")
    var filenames: [String] = []

    @Flag(name: [.customShort("R"), .long], help: "Process directories recursively.")
    var recursive = false

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Delete objects matching this label selector.")
    var selector: String?

    @Flag(help: "Delete every object of the type in the namespace.")
    var all = false

    @Flag(name: .customLong("ignore-not-found"), help: "Treat missing objects as deleted.")
    var ignoreNotFound = false

    @Flag(inversion: .prefixedNo, help: "Wait until the objects are gone (finalizers done) before returning.")
    var wait = true

    @Option(help: "How long --wait waits (e.g. 60s); 0 waits as long as it takes.")
    var timeout = "0"

    @Option(name: .customLong("dry-run"), help: "none, client, or server.")
    var dryRun: String?

    func run() async throws {
        let dryRun = try DryRun.parse(self.dryRun)
        guard let seconds = TimeoutParser.seconds(timeout) else {
            throw CLIError.message("invalid timeout \"\(timeout)\": use a duration such as 60s")
        }
        let deadline = seconds > 0 ? Date().addingTimeInterval(seconds) : nil
        let manifests = filenames.isEmpty ? [] : try ManifestReader.read(filenames, recursive: recursive)
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let discovery = try await session.discovery()
            var failures: [CLIError] = []
            var targets: [(resource: APIResource, namespace: String, name: String)] = []
            // Objects found by listing may vanish before their DELETE; that is not an error.
            var ignoreMissing = ignoreNotFound
            if !manifests.isEmpty {
                guard arguments.isEmpty else {
                    throw CLIError.message("resource names or types cannot be given together with -f")
                }
                let (resolved, errors) = ApplyTarget.resolve(manifests, discovery: discovery, session: session)
                failures += errors
                targets = resolved.map { ($0.resource, $0.namespace, $0.name) }
            } else {
                guard !arguments.isEmpty else {
                    throw CLIError.message(
                        "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'"
                    )
                }
                switch try ResourceArguments.parse(arguments, discovery: discovery) {
                case .objects(let items):
                    if selector != nil || all {
                        throw CLIError.message("name cannot be provided when a selector or --all is specified")
                    }
                    targets = items.map { ($0.resource, session.namespace, $0.name) }
                case .collections(let resources):
                    guard selector != nil || all else {
                        throw CLIError.message("resource(s) were provided, but no name was specified")
                    }
                    ignoreMissing = true
                    for resource in resources {
                        var query: [(String, String)] = []
                        if let selector { query.append(("labelSelector", selector)) }
                        let list = try await session.client.get(resource.collectionPath(namespace: session.namespace), query: query)
                        targets += ObjectPrinter.items(of: list).map { (resource, session.namespace, Resource($0).name) }
                    }
                    if targets.isEmpty { Console.error("No resources found") }
                }
            }

            var deleted: [(resource: APIResource, namespace: String, name: String, uid: String?)] = []
            for (resource, namespace, name) in targets {
                do throws(CLIError) {
                    var uid: String?
                    if dryRun != .client {
                        let answer = try await session.client.request(
                            .DELETE, resource.itemPath(namespace: namespace, name: name), query: dryRun.query,
                            body: ["propagationPolicy": "Background"])
                        uid = answer["kind"]?.stringValue == "Status" ? nil : answer["metadata"]?["uid"]?.stringValue
                    }
                    Console.line("\(resource.qualifiedKind) \"\(name)\" deleted\(dryRun.suffix)")
                    deleted.append((resource, namespace, name, uid))
                } catch let error where error.isNotFound && ignoreMissing {
                    continue
                } catch {
                    failures.append(error)
                }
            }

            if wait && dryRun == .none {
                let waiter = Waiter(client: session.client)
                for object in deleted {
                    do throws(CLIError) {
                        try await waiter.wait(
                            resource: object.resource, namespace: object.namespace, name: object.name, uid: object.uid,
                            deadline: deadline, until: .delete)
                    } catch {
                        failures.append(error)
                    }
                }
            }
            try Get.report(failures)
        }
    }
}
