import HeraldAPI
import Logging
import Store

/// The controller's informers and the indexes its reconcilers look things up by.
final class Caches: Sendable {
    enum Index {
        /// Deliveries by their controlling Notification's uid.
        static let owner = "owner"
        /// Deliveries by their own uid (results name the delivery by uid).
        static let uid = "uid"
        /// Notifications by `namespace/name` of a Template, Channel or Recipient they name.
        static let template = "template"
        static let channel = "channel"
        static let recipient = "recipient"
        /// Notifications with a label selector in `to`, by namespace.
        static let selector = "selector"
    }

    let notifications: Informer
    let deliveries: Informer
    let templates: Informer
    let channels: Informer
    let recipients: Informer

    var all: [Informer] { [notifications, deliveries, templates, channels, recipients] }

    init(store: any Store, resyncPeriod: Double, logger: Logger) {
        notifications = Informer(
            store: store, kind: "Notification",
            indexers: [
                Index.template: .one { n in n.spec?["templateRef"]?["name"]?.stringValue.map { "\(n.namespace)/\($0)" } },
                Index.channel: .many { n in
                    (n.spec?["channels"]?.arrayValue ?? []).compactMap(\.stringValue).map { "\(n.namespace)/\($0)" }
                },
                Index.recipient: .many { n in
                    (n.spec?["to"]?.arrayValue ?? []).compactMap { $0["recipientRef"]?["name"]?.stringValue }
                        .map { "\(n.namespace)/\($0)" }
                },
                Index.selector: .one { n in
                    (n.spec?["to"]?.arrayValue ?? []).contains { $0["selector"] != nil } ? n.namespace : nil
                },
            ], resyncPeriod: resyncPeriod, logger: logger)
        deliveries = Informer(
            store: store, kind: "Delivery",
            indexers: [
                Index.owner: .one { d in d.controllerReference(kind: "Notification")?.uid },
                Index.uid: .one { d in d.uid.isEmpty ? nil : d.uid },
            ], resyncPeriod: resyncPeriod, logger: logger)
        templates = Informer(store: store, kind: "Template", resyncPeriod: 0, logger: logger)
        channels = Informer(store: store, kind: "Channel", resyncPeriod: 0, logger: logger)
        recipients = Informer(store: store, kind: "Recipient", resyncPeriod: 0, logger: logger)
    }

    func waitUntilSynced() async throws {
        for informer in all { try await informer.waitUntilSynced() }
    }

    /// The Deliveries a Notification owns.
    func deliveries(of notification: Resource) -> [Resource] {
        deliveries.byIndex(Index.owner, notification.uid)
    }

    func delivery(uid: String) -> Resource? {
        deliveries.first(byIndex: Index.uid, uid)
    }

    /// The Notification that owns `delivery`, if it is still the same object (same uid).
    func owner(of delivery: Resource) -> Resource? {
        guard let ref = delivery.controllerReference(kind: "Notification"),
            let n = notifications.get(namespace: delivery.namespace, name: ref.name), n.uid == ref.uid
        else { return nil }
        return n
    }

    func channel(namespace: String, name: String) -> Resource? {
        channels.get(namespace: namespace, name: name)
    }

    func template(for notification: Resource) -> Resource? {
        guard let name = notification.spec?["templateRef"]?["name"]?.stringValue else { return nil }
        return templates.get(namespace: notification.namespace, name: name)
    }

    /// Notifications that use a Template, Channel or Recipient (by name or by selector).
    func notificationsUsing(_ object: Resource) -> [Resource] {
        let ref = "\(object.namespace)/\(object.name)"
        switch object.kind {
        case "Template": return notifications.byIndex(Index.template, ref)
        case "Channel": return notifications.byIndex(Index.channel, ref)
        case "Recipient":
            return notifications.byIndex(Index.recipient, ref) + notifications.byIndex(Index.selector, object.namespace)
        default: return []
        }
    }
}
