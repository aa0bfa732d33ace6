import ArgumentParser
import HeraldAPI

/// `heraldctl diff`: what `apply` would change, computed by a server dry run and shown as a
/// unified diff of the live and merged YAML. Exit 0: no differences, 1: differences, 2: error.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Diff the live objects against what apply would make of them.",
        discussion: "Exit status: 0 no differences, 1 differences found, >1 heraldctl failed.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var files: FileOptions

    @Flag(name: .customLong("server-side"), help: "Diff a server-side apply instead of a client-side one.")
    var serverSide = false

    @Flag(name: .customLong("force-conflicts"), help: "With --server-side, diff as if conflicts were forced.")
    var forceConflicts = false

    @Option(name: .customLong("field-manager"), help: "Name of the manager that owns the applied fields.")
    var fieldManager: String?

    func run() async throws {
        do throws(CLIError) {
            try await compare()
        } catch {
            if case .exit(1) = error { throw error }
            // Errors exit above 1, so scripts can tell them from "differences found".
            if let text = error.rendered { Console.error(text) }
            throw CLIError.exit(2)
        }
    }

    func compare() async throws(CLIError) {
        let objects = try files.read()
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            let discovery = try await session.discovery()
            let (targets, errors) = ApplyTarget.resolve(objects, discovery: discovery, session: session)
            if let first = errors.first { throw first }
            let applier = Applier(client: session.client)
            var different = false
            for target in targets {
                let (rawLive, rawMerged) = try await applier.dryRunMerge(
                    target, serverSide: serverSide, force: forceConflicts, fieldManager: fieldManager)
                let (live, merged) = Diff.maskSecretData(live: rawLive, merged: rawMerged)
                let file = Diff.fileName(target)
                let report = UnifiedDiff.report(
                    oldName: "LIVE/\(file)", newName: "MERGED/\(file)",
                    old: live.map { Diff.document($0) } ?? "", new: Diff.document(merged))
                if let report {
                    different = true
                    Console.out(report)
                }
            }
            if different { throw .exit(1) }
        }
    }

    /// kubectl's temp file naming: group.version.Kind.namespace.name.
    static func fileName(_ target: ApplyTarget) -> String {
        let gv =
            target.resource.group.isEmpty
            ? target.resource.version : "\(target.resource.group).\(target.resource.version)"
        let ns = target.resource.namespaced ? ".\(target.namespace)" : ""
        return "\(gv).\(target.resource.kind)\(ns).\(target.name)"
    }

    /// The YAML compared, with managedFields hidden as kubectl hides them.
    static func document(_ object: JSON) -> String {
        ObjectPrinter.cleaned(object).yamlString()
    }

    /// Secret values never reach the terminal: equal values show as `***`, changed ones as
    /// `*** (before)` / `*** (after)`, as kubectl diff masks them.
    static func maskSecretData(live: JSON?, merged: JSON) -> (JSON?, JSON) {
        guard merged["kind"]?.stringValue == "Secret" else { return (live, merged) }
        let before = live?["data"]?.objectValue ?? [:]
        let after = merged["data"]?.objectValue ?? [:]
        var maskedBefore: JSONObject = [:]
        var maskedAfter: JSONObject = [:]
        for key in Set(before.keys).union(after.keys) {
            let changed = before[key] != after[key]
            if before[key] != nil { maskedBefore[key] = changed ? "*** (before)" : "***" }
            if after[key] != nil { maskedAfter[key] = changed ? "*** (after)" : "***" }
        }
        var newLive = live
        if live?["data"] != nil { newLive?["data"] = .object(maskedBefore) }
        var newMerged = merged
        if merged["data"] != nil { newMerged["data"] = .object(maskedAfter) }
        return (newLive, newMerged)
    }
}
