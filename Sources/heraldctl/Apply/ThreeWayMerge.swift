import HeraldAPI

/// kubectl's three-way JSON merge patch for client-side apply (apimachinery's
/// `jsonmergepatch.CreateThreeWayJSONMergePatch`), which it uses for every kind that has no
/// strategic-merge schema, custom resources and Herald's kinds alike.
///
/// - original: the last-applied configuration (what the user applied before), if any;
/// - modified: what the user applies now (with the new last-applied annotation);
/// - current: the live object.
///
/// Deletions come only from original → modified, so fields that other writers (the server's
/// defaults, a controller, `heraldctl patch`) added to the live object are left alone; additions
/// and changes come from current → modified.
enum ThreeWayMerge {
    /// The patch, or nil when there is nothing to send (apply prints `unchanged`).
    static func patch(original: JSON?, modified: JSON, current: JSON) -> JSON? {
        var deletions: JSONObject = [:]
        if let original, let patch = diff(from: original, to: modified) { deletions = keepNulls(patch, keep: true) }
        var delta: JSONObject = [:]
        if let patch = diff(from: current, to: modified) { delta = keepNulls(patch, keep: false) }
        let merged = mergePatches(deletions, delta)
        if merged.isEmpty { return Optional<JSON>.none }
        return JSON.object(merged)
    }

    /// The RFC 7386 merge patch turning `from` into `to` (evanphx/json-patch `CreateMergePatch`):
    /// nil when they are equal, `null` for removed keys, whole values for changed lists.
    ///
    /// Written here with explicit `Optional.none` because `JSON` is itself expressible by `nil`:
    /// a bare `nil` next to a `JSON` value type-checks as `JSON.null`, not as "no patch".
    static func diff(from: JSON, to: JSON) -> JSON? {
        guard case .object(let old) = from, case .object(let new) = to else {
            if from == to { return Optional<JSON>.none }
            return Optional(to)
        }
        var patch: JSONObject = [:]
        for (key, value) in new {
            if let previous = old[key] {
                if let sub = diff(from: previous, to: value) { patch[key] = sub }
            } else {
                patch[key] = value
            }
        }
        for key in old.keys where !new.keys.contains(key) {
            patch[key] = JSON.null
        }
        if patch.isEmpty { return Optional<JSON>.none }
        return JSON.object(patch)
    }

    /// Keeps only the `null`s of a patch (keep = true: deletions) or everything but them
    /// (keep = false: additions and changes). An explicitly empty object stays a value in the
    /// second case; a nested patch that ends up empty is dropped.
    static func keepNulls(_ patch: JSON, keep: Bool) -> JSONObject {
        guard case .object(let map) = patch else { return [:] }
        var out: JSONObject = [:]
        for (key, value) in map {
            switch value {
            case .null:
                if keep { out[key] = .null }
            case .object(let child):
                if child.isEmpty {
                    if !keep { out[key] = value }
                    continue
                }
                let filtered = keepNulls(value, keep: keep)
                if !filtered.isEmpty { out[key] = .object(filtered) }
            default:
                // Lists and scalars replace whole values: they are changes, never deletions.
                if !keep { out[key] = value }
            }
        }
        return out
    }

    /// Merges two merge patches, the second winning; nulls survive (they are the deletions).
    static func mergePatches(_ first: JSONObject, _ second: JSONObject) -> JSONObject {
        var out = first
        for (key, value) in second {
            if case .object(let b) = value, case .object(let a)? = out[key] {
                out[key] = .object(mergePatches(a, b))
            } else {
                out[key] = value
            }
        }
        return out
    }
}

/// The `kubectl.kubernetes.io/last-applied-configuration` annotation, computed exactly as kubectl
/// does (`GetModifiedConfiguration`), so heraldctl and kubectl can take turns applying the same
/// objects without spurious changes.
enum LastApplied {
    static let annotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// Returns the object to send (with the annotation) and the annotation's value.
    ///
    /// The object is serialized with its annotations minus this one (an empty map stays, as
    /// `"annotations":{}`, because that is what kubectl writes), then that serialization plus a
    /// newline becomes the annotation.
    static func modified(_ object: JSON) -> (object: JSON, annotation: String) {
        var withoutAnnotation = object
        var annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
        annotations[annotation] = nil
        withoutAnnotation.set(path: ["metadata", "annotations"], to: .object(annotations))
        let value = withoutAnnotation.serializedString() + "\n"
        var result = withoutAnnotation
        annotations[annotation] = .string(value)
        result.set(path: ["metadata", "annotations"], to: .object(annotations))
        return (result, value)
    }

    /// The last-applied configuration of a live object, if it has one that parses.
    static func original(of live: JSON) -> JSON? {
        guard let text = live["metadata"]?["annotations"]?[annotation]?.stringValue else { return nil }
        return try? JSON.parse(text)
    }

    static func has(_ live: JSON) -> Bool {
        live["metadata"]?["annotations"]?[annotation] != nil
    }
}
