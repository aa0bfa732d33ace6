import HeraldAPI
import Store
import Workers

/// Whether a job that waited in a RabbitMQ delay tier is still wanted when it comes out.
///
/// A retry or near-term scheduled send sits in `herald.retry.<tier>` for up to the tier's
/// length, and RabbitMQ cannot take a message back out of a queue. If the Notification is
/// deleted (or the delivery otherwise ends) meanwhile, the controller cancels the Delivery but
/// the job still lands in the job queue. Workers never decide what to send, so before sending
/// such a job they read the Delivery and drop the job unless it still waits for exactly this
/// attempt. Only delayed jobs are checked: a job published straight to its queue was wanted a
/// moment ago, and one read per send would cost throughput.
protocol DelayedJobCheck: Sendable {
    func isStillWanted(_ job: DeliveryJob) async -> Bool
}

enum DelayedJob {
    /// Both brokers stamp a dead-lettered message with the queue it left; jobs only reach a job
    /// queue that way out of a delay tier.
    static func cameThroughDelayTier(headers: [String: String]) -> Bool {
        headers["x-first-death-queue"] != nil
    }

    /// Phases after which a Delivery sends nothing more (for this round).
    static let finalPhases: Set<String> = ["Delivered", "Failed", "Suppressed", "Expired", "Canceled"]

    /// The decision from the Delivery as stored, nil when it no longer exists.
    static func isWanted(_ job: DeliveryJob, delivery: Resource?) -> Bool {
        guard let delivery, delivery.uid == job.deliveryUID, delivery.deletionTimestamp == nil else { return false }
        if let phase = delivery.status?["phase"]?.stringValue, finalPhases.contains(phase) { return false }
        if let attempts = delivery.status?["attempts"]?.intValue, attempts != Int64(job.attempt) { return false }
        return true
    }
}

/// `herald serve`: reads the Delivery from the store.
struct StoreDelayedJobCheck: DelayedJobCheck {
    let store: any Store

    func isStillWanted(_ job: DeliveryJob) async -> Bool {
        do {
            let delivery = try await store.get(ObjectKey(kind: "Delivery", namespace: job.namespace, name: job.delivery))
            return DelayedJob.isWanted(job, delivery: delivery)
        } catch StoreError.notFound {
            return DelayedJob.isWanted(job, delivery: nil)
        } catch {
            // Cannot tell: send. Workers are at-least-once, and the idempotency key marks a repeat.
            return true
        }
    }
}

/// `herald worker`: reads the Delivery from the API server.
struct HTTPDelayedJobCheck: DelayedJobCheck {
    let api: APIServerReader

    func isStillWanted(_ job: DeliveryJob) async -> Bool {
        do {
            let (status, body) = try await api.get(namespace: job.namespace, plural: "deliveries", name: job.delivery)
            switch status {
            case 200: return DelayedJob.isWanted(job, delivery: Resource(try JSON.parse(body.readableBytesView)))
            case 404: return DelayedJob.isWanted(job, delivery: nil)
            default: return true  // cannot tell: send (at-least-once)
            }
        } catch {
            return true
        }
    }
}
