import HeraldAPI

/// Which changes of a Notification its reconcile has to look at.
enum NotificationChange {
    /// False when only the status moved (with the resourceVersion and managedFields that come
    /// with any write). The status is what the reconcile writes: run again on its own write, it
    /// found that write in place and did nothing (about three reconciles in ten in the
    /// delivery benchmark). Deliveries changing, the spec, annotations such as `herald.dev/resend-at`,
    /// finalizers and deletion still count, and a resync still looks at every Notification, so
    /// a status someone else overwrote is set right at the latest then.
    static func needsReconcile(old: Resource, new: Resource) -> Bool {
        guard old.uid == new.uid, old.generation == new.generation, old.spec == new.spec else { return true }
        return comparable(old.metadata) != comparable(new.metadata)
    }

    private static func comparable(_ metadata: JSON) -> JSON {
        guard var object = metadata.objectValue else { return metadata }
        object["resourceVersion"] = nil
        object["managedFields"] = nil
        return .object(object)
    }
}
