import HeraldAPI

/// kubectl's `--dry-run` values.
enum DryRun: String, Sendable {
    case none, client, server

    static func parse(_ text: String?) throws(CLIError) -> DryRun {
        guard let text else { return .none }
        guard let value = DryRun(rawValue: text) else {
            throw .message("Invalid dry-run value (\(text)). Must be \"none\", \"server\", or \"client\".")
        }
        return value
    }

    /// What apply, delete and prune append to their message.
    var suffix: String {
        switch self {
        case .none: return ""
        case .client: return " (dry run)"
        case .server: return " (server dry run)"
        }
    }

    /// The query parameter a server dry run adds to writes.
    var query: [(String, String)] { self == .server ? [("dryRun", "All")] : [] }
}

/// kubectl's `--validate` values, sent as `fieldValidation`.
enum FieldValidation {
    static func parse(_ text: String) throws(CLIError) -> String {
        switch text.lowercased() {
        case "strict", "true": return "Strict"
        case "warn": return "Warn"
        case "ignore", "false": return "Ignore"
        default:
            throw .message("invalid - validate option \"\(text)\"; must be one of: strict (or true), warn, ignore (or false)")
        }
    }
}

/// One manifest object resolved to its resource type, namespace and path.
struct ApplyTarget: Sendable {
    var object: JSON
    var resource: APIResource
    var namespace: String
    var name: String
    var source: String

    var itemPath: String { resource.itemPath(namespace: namespace, name: name) }
    var collectionPath: String { resource.collectionPath(namespace: namespace) }

    /// `notification.herald.dev/welcome`, how apply and prune name objects.
    var displayName: String { "\(resource.qualifiedKind)/\(name)" }

    var key: ObjectKey { ObjectKey(kind: resource.qualifiedKind, namespace: resource.namespaced ? namespace : "", name: name) }

    /// Resolves manifest objects. Objects that cannot be mapped are returned as errors so the
    /// others still apply, as kubectl continues past them.
    static func resolve(
        _ objects: [ManifestObject], discovery: Discovery, session: Session
    ) -> (targets: [ApplyTarget], errors: [CLIError]) {
        var targets: [ApplyTarget] = []
        var errors: [CLIError] = []
        for manifest in objects {
            let resource = manifest.resource
            let apiVersion = resource.apiVersion
            let kind = resource.kind
            let name = resource.name
            guard let mapped = discovery.forObject(apiVersion: apiVersion, kind: kind) else {
                errors.append(
                    .message(
                        "resource mapping not found for name: \"\(name)\" namespace: \"\(resource.namespace)\" from \"\(manifest.source)\": no matches for kind \"\(kind)\" in version \"\(apiVersion)\"\nensure the kind is served by this Herald server (heraldctl api-resources)"
                    ))
                continue
            }
            guard !name.isEmpty else {
                errors.append(
                    .message(
                        "error when retrieving current configuration of \(mapped.qualifiedKind) from \"\(manifest.source)\": resource name may not be empty"
                    ))
                continue
            }
            var object = manifest.json
            var namespace = ""
            if mapped.namespaced {
                let own = resource.namespace
                if !own.isEmpty, session.namespaceExplicit, own != session.namespace {
                    errors.append(
                        .message(
                            "the namespace from the provided object \"\(own)\" does not match the namespace \"\(session.namespace)\". You must pass '--namespace=\(own)' to perform this operation."
                        ))
                    continue
                }
                namespace = own.isEmpty ? session.namespace : own
                // kubectl writes the namespace into the object, so it is part of the
                // last-applied configuration too.
                object.set(path: ["metadata", "namespace"], to: .string(namespace))
            } else if object["metadata"]?["namespace"] != nil {
                object["metadata"]?["namespace"] = nil
            }
            targets.append(
                ApplyTarget(object: object, resource: mapped, namespace: namespace, name: name, source: manifest.source))
        }
        return (targets, errors)
    }
}
