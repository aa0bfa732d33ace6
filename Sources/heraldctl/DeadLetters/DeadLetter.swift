import Foundation
import HeraldAPI

/// A dead letter as heraldctl shows it: a Delivery in phase Failed. Herald's source of truth
/// for dead letters is these resources (the `herald.failed` queue only keeps the broker's copy
/// of each job), so every `dlq` command reads and writes them through the API.
struct DeadLetter: Sendable {
    let object: JSON

    init(_ object: JSON) {
        self.object = object
    }

    var resource: Resource { Resource(object) }
    var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    var namespace: String { object["metadata"]?["namespace"]?.stringValue ?? "" }
    var uid: String { object["metadata"]?["uid"]?.stringValue ?? "" }
    var spec: JSON { object["spec"] ?? .emptyObject }
    var status: JSON { object["status"] ?? .emptyObject }

    var phase: String { status["phase"]?.stringValue ?? "" }
    var isFailed: Bool { phase == "Failed" }
    var notification: String { spec["notification"]?.stringValue ?? "" }
    var recipient: String { spec["recipient"]?.stringValue ?? "" }
    var channel: String { spec["channel"]?.stringValue ?? "" }
    var channelType: String { spec["channelType"]?.stringValue ?? "" }
    var round: Int64 { spec["round"]?.intValue ?? 0 }
    var attempts: Int64 { status["attempts"]?.intValue ?? 0 }
    /// Attempts that sent nothing (circuit open, rate limited); they did not count against maxAttempts.
    var heldBack: Int64 { status["heldBack"]?.intValue ?? 0 }
    var reason: String { status["reason"]?.stringValue ?? "" }
    var errorClass: String { status["lastError"]?["class"]?.stringValue ?? "" }
    var errorCode: String { status["lastError"]?["code"]?.stringValue ?? "" }
    var errorMessage: String { status["lastError"]?["message"]?.stringValue ?? "" }

    /// The job's idempotency key, as the controller builds it (deliveryUID-round): what a
    /// provider saw as `Idempotency-Key` or Message-ID.
    var idempotencyKey: String { "\(uid)-\(round)" }

    /// When it failed: `status.failedTime`, or for deliveries failed before that field existed,
    /// the last attempt or the creation.
    var failedAt: Date? {
        for value in [status["failedTime"], status["lastAttemptTime"], object["metadata"]?["creationTimestamp"]] {
            if let text = value?.stringValue, let date = Timestamp.parse(text) { return date }
        }
        return nil
    }

    var annotations: [String: String] { resource.annotations }
    var isRedriven: Bool { DeliveryRedrive.isRedriven(resource) }
    var redrivenTo: String? { annotations[DeliveryRedrive.redrivenToAnnotation] }

    /// One line about the redrive state: asked for, done, refused, or nothing.
    var redriveState: String {
        let a = annotations
        if let to = redrivenTo, isRedriven { return "redriven as \(to)" }
        guard let at = a[DeliveryRedrive.requestedAtAnnotation] else { return "" }
        let by = a[DeliveryRedrive.requestedByAnnotation] ?? "unknown"
        if a[DeliveryRedrive.handledAnnotation] == at, let why = a[DeliveryRedrive.refusedAnnotation] {
            return "refused (asked by \(by)): \(why)"
        }
        return "requested by \(by) at \(at)"
    }
}

/// Where dead letters live in the API, and the list query that finds them server-side.
enum DeadLetters {
    static let kind = KindDefinition.delivery
    static let qualifiedKind = "delivery.\(kind.group)"

    static func collectionPath(namespace: String?) -> String {
        let prefix = "/apis/\(kind.group)/\(kind.version)"
        guard let namespace else { return "\(prefix)/\(kind.plural)" }
        return "\(prefix)/namespaces/\(URLEncoding.encode(namespace))/\(kind.plural)"
    }

    static func itemPath(namespace: String, name: String) -> String {
        collectionPath(namespace: namespace) + "/" + URLEncoding.encode(name)
    }

    /// Failed deliveries, filtered by the server: phase, notification and channel are selectable
    /// fields of Delivery, and redriven ones carry a label.
    static func listQuery(notification: String?, channel: String?, includeRedriven: Bool) -> [(String, String)] {
        var fields = ["status.phase=Failed"]
        if let notification { fields.append("spec.notification=\(notification)") }
        if let channel { fields.append("spec.channel=\(channel)") }
        var query = [("fieldSelector", fields.joined(separator: ","))]
        if !includeRedriven { query.append(("labelSelector", "!\(DeliveryRedrive.redrivenLabel)")) }
        return query
    }

    static func list(
        _ session: Session, allNamespaces: Bool, notification: String?, channel: String?, includeRedriven: Bool
    ) async throws(CLIError) -> [DeadLetter] {
        let list = try await session.client.get(
            collectionPath(namespace: allNamespaces ? nil : session.namespace),
            query: listQuery(notification: notification, channel: channel, includeRedriven: includeRedriven))
        return (list["items"]?.arrayValue ?? []).map(DeadLetter.init).sorted {
            ($0.namespace, $0.name) < ($1.namespace, $1.name)
        }
    }

    /// One dead letter by name; a clear error when it does not exist.
    static func get(_ session: Session, name: String) async throws(CLIError) -> DeadLetter {
        do throws(CLIError) {
            return DeadLetter(try await session.client.get(itemPath(namespace: session.namespace, name: name)))
        } catch let error where error.isNotFound {
            throw .message(
                "dead letter \"\(name)\" not found in namespace \"\(session.namespace)\": no Delivery has that name (heraldctl dlq list shows the dead letters)"
            )
        }
    }
}
