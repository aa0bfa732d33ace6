import HeraldAPI

/// The write side of `apply` and `diff`, following kubectl's request sequences
/// (docs/kube-api-contract.md, "kubectl apply" and "kubectl diff").
struct Applier: Sendable {
    enum Outcome: String, Sendable {
        case created, configured, unchanged
        case serverSideApplied = "serverside-applied"
    }

    static let clientSideManager = "kubectl-client-side-apply"
    static let serverSideManager = "kubectl"
    static let lastAppliedManager = "kubectl-last-applied"
    /// kubectl re-reads and retries a client-side apply patch this many times on 409 Conflict.
    static let maxPatchRetries = 5

    let client: APIClient
    var fieldValidation = "Strict"

    // MARK: client-side apply

    /// GET; 404 → POST with the last-applied annotation; otherwise a three-way merge patch, or
    /// nothing when it is empty.
    func clientSideApply(_ target: ApplyTarget, dryRun: DryRun, fieldManager: String?) async throws(CLIError) -> Outcome {
        let manager = fieldManager ?? Applier.clientSideManager
        var attempt = 0
        while true {
            let live = try await fetchLive(target)
            guard let live else {
                if dryRun != .client { _ = try await create(target, dryRun: dryRun, fieldManager: manager) }
                return .created
            }
            if !LastApplied.has(live) {
                Console.warning(
                    "resource \(target.resource.name)/\(target.name) is missing the \(LastApplied.annotation) annotation which is required by heraldctl apply. heraldctl apply should only be used on resources created declaratively by heraldctl apply. The missing annotation will be patched automatically."
                )
            }
            guard let patch = Applier.patch(for: target, live: live) else { return .unchanged }
            if dryRun == .client { return .configured }
            do throws(CLIError) {
                _ = try await client.request(
                    .PATCH, target.itemPath, query: writeQuery(manager, dryRun: dryRun),
                    contentType: "application/merge-patch+json", body: patch)
                return .configured
            } catch let error where error.isConflict && attempt < Applier.maxPatchRetries {
                // Someone wrote in between: read again and recompute, as kubectl does.
                attempt += 1
            } catch {
                throw Applier.annotate(error, "error when patching \"\(target.source)\"")
            }
        }
    }

    /// The client-side apply patch for a live object, or nil when there is nothing to change.
    static func patch(for target: ApplyTarget, live: JSON) -> JSON? {
        let modified = LastApplied.modified(target.object).object
        return ThreeWayMerge.patch(original: LastApplied.original(of: live), modified: modified, current: live)
    }

    func fetchLive(_ target: ApplyTarget) async throws(CLIError) -> JSON? {
        do throws(CLIError) {
            return try await client.getIfExists(target.itemPath)
        } catch {
            throw Applier.annotate(
                error, "error when retrieving current configuration of \"\(target.name)\" from \"\(target.source)\"")
        }
    }

    func create(_ target: ApplyTarget, dryRun: DryRun, fieldManager: String) async throws(CLIError) -> JSON {
        do throws(CLIError) {
            return try await client.request(
                .POST, target.collectionPath, query: writeQuery(fieldManager, dryRun: dryRun),
                body: LastApplied.modified(target.object).object)
        } catch {
            throw Applier.annotate(error, "error when creating \"\(target.source)\"")
        }
    }

    func writeQuery(_ fieldManager: String, dryRun: DryRun) -> [(String, String)] {
        dryRun.query + [("fieldManager", fieldManager), ("fieldValidation", fieldValidation)]
    }

    // MARK: server-side apply

    /// One apply PATCH (JSON body under the apply content type, contract fact 19); then, if the
    /// object also carries a client-side last-applied annotation, keep that annotation current
    /// under its own manager so a later client-side apply computes the right deletions.
    func serverSideApply(
        _ target: ApplyTarget, dryRun: DryRun, fieldManager: String?, force: Bool
    ) async throws(CLIError) -> JSON? {
        guard dryRun != .client else { return nil }
        let manager = fieldManager ?? Applier.serverSideManager
        let result = try await apply(target.object, target: target, dryRun: dryRun, fieldManager: manager, force: force)
        if dryRun == .none, fieldManager == nil, LastApplied.has(result) {
            let value = LastApplied.modified(target.object).annotation
            if result["metadata"]?["annotations"]?[LastApplied.annotation]?.stringValue != value {
                var body: JSON = [
                    "apiVersion": .string(target.resource.groupVersion), "kind": .string(target.resource.kind),
                    "metadata": ["name": .string(target.name), "annotations": [LastApplied.annotation: .string(value)]],
                ]
                if target.resource.namespaced { body["metadata"]?["namespace"] = .string(target.namespace) }
                _ = try await apply(body, target: target, dryRun: dryRun, fieldManager: Applier.lastAppliedManager, force: force)
            }
        }
        return result
    }

    func apply(_ body: JSON, target: ApplyTarget, dryRun: DryRun, fieldManager: String, force: Bool) async throws(CLIError) -> JSON {
        do throws(CLIError) {
            return try await client.request(
                .PATCH, target.itemPath,
                query: dryRun.query + [
                    ("fieldManager", fieldManager), ("fieldValidation", fieldValidation), ("force", force ? "true" : "false"),
                ],
                contentType: "application/apply-patch+yaml", body: body)
        } catch {
            throw Applier.annotate(error, "error when applying \"\(target.source)\"")
        }
    }

    // MARK: diff

    /// The live object and what it would become, from a server dry run of the same apply.
    func dryRunMerge(
        _ target: ApplyTarget, serverSide: Bool, force: Bool, fieldManager: String?
    ) async throws(CLIError) -> (live: JSON?, merged: JSON) {
        let live = try await fetchLive(target)
        if serverSide {
            let merged = try await apply(
                target.object, target: target, dryRun: .server, fieldManager: fieldManager ?? Applier.serverSideManager,
                force: force)
            return (live, merged)
        }
        guard let live else {
            let merged = try await create(target, dryRun: .server, fieldManager: fieldManager ?? Applier.clientSideManager)
            return (nil, merged)
        }
        // The resourceVersion makes the dry run a precondition on the state diffed against.
        var patch = Applier.patch(for: target, live: live) ?? .emptyObject
        if let rv = live["metadata"]?["resourceVersion"] {
            patch.set(path: ["metadata", "resourceVersion"], to: rv)
        }
        do throws(CLIError) {
            let merged = try await client.request(
                .PATCH, target.itemPath,
                query: writeQuery(fieldManager ?? Applier.clientSideManager, dryRun: .server),
                contentType: "application/merge-patch+json", body: patch)
            return (live, merged)
        } catch {
            throw Applier.annotate(error, "error when patching \"\(target.source)\"")
        }
    }

    /// Adds kubectl's "error when creating \"file\"" context to server errors.
    static func annotate(_ error: CLIError, _ action: String) -> CLIError {
        if case .server(let status, nil) = error { return .server(status, action: action) }
        return error
    }
}
