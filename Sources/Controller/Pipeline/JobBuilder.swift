import Foundation
import HeraldAPI

/// Builds the job for one attempt of a Delivery from the objects it refers to, as they are now
/// (a Channel edited since the Delivery was created sends with its new settings).
enum JobBuilder {
    enum Problem: Error, CustomStringConvertible {
        case channelMissing(String)
        case templateMissing(String)

        var description: String {
            switch self {
            case .channelMissing(let name): return "Channel \"\(name)\" not found; the delivery waits for it"
            case .templateMissing(let name): return "Template \"\(name)\" not found; the delivery waits for it"
            }
        }
    }

    static func build(
        delivery: Resource, notification: Resource, channel: Resource?, template: Resource?, recipient: Resource?,
        attempt: Int
    ) throws(Problem) -> DeliveryJob {
        let spec = delivery.spec ?? .emptyObject
        let nspec = notification.spec ?? .emptyObject
        let channelName = spec["channel"]?.stringValue ?? ""
        guard let channel else { throw .channelMissing(channelName) }
        let content: JSON
        if let ref = nspec["templateRef"]?["name"]?.stringValue {
            guard let template else { throw .templateMissing(ref) }
            content = template.spec ?? .emptyObject
        } else {
            content = TemplateContent.fromInlineMessage(nspec["message"] ?? .emptyObject)
        }
        let address = spec["address"] ?? .emptyObject
        var sendTo = address
        sendTo["locale"] = nil
        sendTo["timezone"] = nil
        let rspec = recipient?.spec
        let round = spec["round"]?.intValue ?? 0
        return DeliveryJob(
            deliveryUID: delivery.uid, namespace: delivery.namespace, delivery: delivery.name,
            notification: notification.name, attempt: attempt,
            channel: JobChannel(
                name: channel.name, type: channel.spec?["type"]?.stringValue ?? spec["channelType"]?.stringValue ?? "log",
                spec: channel.spec ?? .emptyObject),
            template: content, variables: nspec["variables"] ?? .emptyObject,
            recipient: JobRecipient(
                name: spec["recipient"]?.stringValue, address: sendTo,
                locale: rspec?["locale"]?.stringValue ?? address["locale"]?.stringValue,
                timezone: rspec?["timezone"]?.stringValue ?? address["timezone"]?.stringValue),
            priority: nspec["priority"]?.stringValue.flatMap(DeliveryPriority.init(rawValue:)) ?? .normal,
            correlationID: "\(delivery.uid).\(attempt)",
            idempotencyKey: "\(delivery.uid)-\(round)",
            deadline: nspec["deliverBy"]?.stringValue.flatMap(Timestamp.parse))
    }
}
