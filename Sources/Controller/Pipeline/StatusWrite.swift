import HeraldAPI
import Logging
import Store

/// The write half of a status-only reconciler: `decide` runs on the stored object inside the
/// store's transaction and returns the new `status`, or nil when nothing changes (no write).
enum StatusWrite {
    /// True when done (written, unchanged, or the object is gone); false to retry with backoff.
    static func apply(
        _ key: ObjectKey, in store: any Store, logger: Logger,
        _ decide: @escaping @Sendable (Resource) -> JSON?
    ) async -> Bool {
        do {
            _ = try await store.guaranteedUpdate(key, target: .status) { current in
                guard let status = decide(current) else { return current }
                var next = current
                next.status = status
                return next
            }
            return true
        } catch StoreError.notFound {
            return true
        } catch {
            logger.warning(
                "\(key.kind) status write failed; will retry",
                metadata: ["object": .string("\(key.namespace)/\(key.name)"), "error": "\(error)"])
            return false
        }
    }
}
