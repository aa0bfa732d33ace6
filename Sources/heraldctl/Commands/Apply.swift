import ArgumentParser
import HeraldAPI

/// `heraldctl apply`: client-side apply (three-way merge, last-applied annotation) by default,
/// server-side apply with `--server-side`, and optional pruning.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a configuration to resources from files, directories or stdin.",
        discussion: """
            Examples:
              heraldctl apply -f notification.yaml
              heraldctl apply -f manifests/ -R --server-side
              heraldctl apply -f manifests/ --prune -l app=onboarding
              cat notif.yaml | heraldctl apply -f -
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var files: FileOptions

    @Flag(
        name: .customLong("server-side"), help: "Apply on the server (field ownership, conflicts) instead of a client-side three-way merge."
    )
    var serverSide = false

    @Flag(name: .customLong("force-conflicts"), help: "With --server-side, take ownership of fields other managers own.")
    var forceConflicts = false

    @Option(name: .customLong("dry-run"), help: "none, client (print what would happen), or server (the server checks, nothing is stored).")
    var dryRun: String?

    @Flag(
        help:
            "Delete objects of the Herald kinds in the namespace that were applied before (they carry the last-applied annotation), match -l, and are not in the files."
    )
    var prune = false

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector for --prune.")
    var selector: String?

    @Flag(help: "With --prune, consider every object regardless of labels.")
    var all = false

    @Option(name: .customLong("prune-allowlist"), help: "Kinds --prune considers, as group/version/Kind (default: every Herald kind).")
    var pruneAllowlist: [String] = []

    @Option(name: .customLong("field-manager"), help: "Name of the manager that owns the applied fields.")
    var fieldManager: String?

    @Option(name: .customLong("validate"), help: "Server-side field validation: strict, warn, or ignore.")
    var validation = "strict"

    func validate() throws {
        if forceConflicts && !serverSide {
            throw CLIError.message("--force-conflicts only works with --server-side")
        }
        if prune && selector == nil && !all {
            throw CLIError.message(
                "all resources selected for prune without explicitly passing --all. To prune all resources, pass the --all flag. If you did not mean to prune all resources, specify a label selector"
            )
        }
        if prune && selector != nil && all {
            throw CLIError.message("cannot set --all and --selector at the same time")
        }
    }

    func run() async throws {
        let dryRun = try DryRun.parse(self.dryRun)
        let fieldValidation = try FieldValidation.parse(validation)
        let objects = try files.read()
        guard !objects.isEmpty else { throw CLIError.message("no objects passed to apply") }
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let discovery = try await session.discovery()
            let (targets, resolveErrors) = ApplyTarget.resolve(objects, discovery: discovery, session: session)
            var failures = resolveErrors
            var applied: Set<ObjectKey> = []
            let applier = Applier(client: session.client, fieldValidation: fieldValidation)
            for target in targets {
                do throws(CLIError) {
                    if serverSide {
                        _ = try await applier.serverSideApply(
                            target, dryRun: dryRun, fieldManager: fieldManager, force: forceConflicts)
                        Console.line("\(target.displayName) \(Applier.Outcome.serverSideApplied.rawValue)\(dryRun.suffix)")
                    } else {
                        let outcome = try await applier.clientSideApply(target, dryRun: dryRun, fieldManager: fieldManager)
                        Console.line("\(target.displayName) \(outcome.rawValue)\(dryRun.suffix)")
                    }
                    applied.insert(target.key)
                } catch {
                    failures.append(error)
                }
            }
            if prune {
                // Like kubectl, prune only after every object applied cleanly enough to be known:
                // objects that failed still count as "in the files" so they are never pruned.
                let inFiles = Set(targets.map(\.key))
                let namespaces = Set(targets.filter(\.resource.namespaced).map(\.namespace))
                let pruner = Pruner(
                    client: session.client, dryRun: dryRun, selector: all ? nil : selector)
                do throws(CLIError) {
                    let kinds = try pruneKinds(discovery)
                    failures += await pruner.prune(
                        keep: inFiles.union(applied), kinds: kinds,
                        namespaces: namespaces.isEmpty ? [session.namespace] : namespaces.sorted())
                } catch {
                    failures.append(error)
                }
            }
            try Get.report(failures)
        }
    }

    func pruneKinds(_ discovery: Discovery) throws(CLIError) -> [APIResource] {
        if pruneAllowlist.isEmpty {
            return discovery.resources(inGroup: "herald.dev").filter { $0.supports("list") && $0.supports("delete") }
        }
        var kinds: [APIResource] = []
        for entry in pruneAllowlist {
            let parts = entry.split(separator: "/").map(String.init)
            let apiVersion = parts.dropLast().joined(separator: "/")
            guard parts.count >= 2, let kind = parts.last,
                let resource = discovery.forObject(apiVersion: apiVersion, kind: kind)
            else {
                throw .message("invalid --prune-allowlist entry \"\(entry)\": expected group/version/Kind of a served kind")
            }
            kinds.append(resource)
        }
        return kinds
    }
}

/// `-f`, `-R`: where manifests come from.
struct FileOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("filename")], help: "A file, directory, or - for stdin (repeatable).")
    var filenames: [String] = []

    @Flag(name: [.customShort("R"), .long], help: "Process directories recursively.")
    var recursive = false

    func read() throws(CLIError) -> [ManifestObject] {
        guard !filenames.isEmpty else {
            throw .message("must specify one of -f and -k")
        }
        return try ManifestReader.read(filenames, recursive: recursive)
    }
}

/// `apply --prune`: deletes previously applied objects that left the manifests.
struct Pruner: Sendable {
    let client: APIClient
    let dryRun: DryRun
    let selector: String?

    /// Returns the errors met; successes are printed as `<kind>/<name> pruned`.
    func prune(keep: Set<ObjectKey>, kinds: [APIResource], namespaces: [String]) async -> [CLIError] {
        var failures: [CLIError] = []
        for resource in kinds {
            for namespace in resource.namespaced ? namespaces : [""] {
                do throws(CLIError) {
                    var query: [(String, String)] = []
                    if let selector { query.append(("labelSelector", selector)) }
                    let list = try await client.get(resource.collectionPath(namespace: namespace), query: query)
                    for item in ObjectPrinter.items(of: list) {
                        let object = Resource(item)
                        let key = ObjectKey(
                            kind: resource.qualifiedKind, namespace: resource.namespaced ? object.namespace : "",
                            name: object.name)
                        // Only objects apply created (they carry the annotation) are apply's to
                        // delete; objects already on their way out are left to finish.
                        guard LastApplied.has(item), !keep.contains(key), !object.isDeleting else { continue }
                        if dryRun != .client {
                            let body: JSON = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"]
                            _ = try await client.request(
                                .DELETE, resource.itemPath(namespace: object.namespace, name: object.name),
                                query: dryRun.query, body: body)
                        }
                        Console.line("\(resource.qualifiedKind)/\(object.name) pruned\(dryRun.suffix)")
                    }
                } catch {
                    failures.append(error)
                }
            }
        }
        return failures
    }
}
