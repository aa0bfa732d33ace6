import Foundation
import HeraldAPI

/// The object semantics every backend shares, as pure functions from (current, desired) to a
/// mutation. Kept free of I/O so they are tested directly.
public enum WriteRules {
    public enum Target: Sendable {
        case main
        case status
    }

    /// Fields a client may set in metadata; everything else is owned by the server.
    static let userMetadata = ["labels", "annotations", "finalizers", "ownerReferences", "managedFields"]

    /// Metadata a client may not bring to a create.
    static let serverSetOnCreate = ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"]

    /// Prepares a new object: server-owned metadata set, status dropped unless `keepStatus`.
    public static func prepareCreate(_ object: Resource, now: Date, uid: String, keepStatus: Bool) -> Resource {
        var r = object
        var meta = r.metadata.objectValue ?? [:]
        // Room for the members set here and the resourceVersion the store sets on commit, made
        // with the copy: each insert past the capacity grew the members again, per object created.
        meta.reserveCapacity(meta.count + 4)
        for key in Self.serverSetOnCreate {
            meta[key] = nil
        }
        meta["uid"] = .string(uid)
        meta["creationTimestamp"] = .string(Timestamp.format(now))
        meta["generation"] = .int(1)
        dropEmpty(&meta)
        r.metadata = .object(meta)
        if !keepStatus { r.status = nil }
        return r
    }

    /// Decides what an update of `current` to `desired` does.
    public static func update(current: Resource, desired: Resource, target: Target, hasStatus: Bool) -> Mutation {
        var next = current
        // A status write moves nothing else: comparing the status alone answers whether anything
        // moved, without walking the whole object (most writes are status writes).
        var unchanged: Bool?
        switch target {
        case .status:
            next.status = desired.status
            unchanged = desired.status == current.status
        case .main:
            var meta = current.metadata.objectValue ?? [:]
            let desiredMeta = desired.metadata.objectValue ?? [:]
            for key in userMetadata { meta[key] = desiredMeta[key] }
            if current.isDeleting {
                // Finalizers may only be removed once deletion started.
                let allowed = Set(current.finalizers)
                let kept = desired.finalizers.filter(allowed.contains)
                meta["finalizers"] = kept.isEmpty ? nil : JSON(kept)
            }
            dropEmpty(&meta)
            var json = desired.json
            json["metadata"] = .object(meta)
            json["apiVersion"] = current.json["apiVersion"]
            json["kind"] = current.json["kind"]
            json["status"] = hasStatus ? current.json["status"] : desired.json["status"]
            next = Resource(json)
            if next.desiredState != current.desiredState {
                next.generation = current.generation + 1
            }
        }
        if next.isDeleting && next.finalizers.isEmpty {
            return .remove(next)
        }
        if unchanged ?? (next.json == current.json) { return .unchanged }
        return .put(next)
    }

    /// Deletion: finalizers turn it into marking; otherwise the object goes.
    public static func delete(current: Resource, now: Date) -> Mutation {
        if current.finalizers.isEmpty { return .remove(current) }
        if current.isDeleting { return .unchanged }
        var next = current
        next.deletionTimestamp = Timestamp.format(now)
        var meta = next.metadata.objectValue ?? [:]
        meta["deletionGracePeriodSeconds"] = .int(0)
        next.metadata = .object(meta)
        return .put(next)
    }

    /// Kubernetes omits empty maps and lists in metadata; keeping them would create spurious diffs.
    static func dropEmpty(_ meta: inout JSONObject) {
        for key in ["labels", "annotations", "finalizers", "ownerReferences", "managedFields"] {
            switch meta[key] {
            case .object(let o)? where o.isEmpty: meta[key] = nil
            case .array(let a)? where a.isEmpty: meta[key] = nil
            case .null?: meta[key] = nil
            default: break
            }
        }
    }
}
