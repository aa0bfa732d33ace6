extension JSON {
    /// RFC 7386 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
    public func applyingMergePatch(_ patch: JSON) -> JSON {
        guard case .object(let patchObject) = patch else { return patch }
        var result = objectValue ?? [:]
        for (key, value) in patchObject {
            if case .null = value {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).applyingMergePatch(value)
            }
        }
        return .object(result)
    }

    /// The merge patch that turns `self` into `target` (used by heraldctl's client-side apply).
    public func mergePatch(to target: JSON) -> JSON? {
        guard case .object(let from) = self, case .object(let to) = target else {
            return self == target ? nil : target
        }
        var patch: JSONObject = [:]
        for (key, value) in to {
            if let old = from[key] {
                if let sub = old.mergePatch(to: value) { patch[key] = sub }
            } else {
                patch[key] = value
            }
        }
        for key in from.keys where to[key] == nil {
            patch[key] = .null
        }
        return patch.isEmpty ? nil : .object(patch)
    }
}
