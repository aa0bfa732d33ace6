import Controller
import HeraldAPI
import NIOCore
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

/// `herald worker`: reads the Deliveries from the API server, many with one request.
///
/// Every retry comes out of a delay tier, so a burst of retries asked the API server (and its
/// PostgreSQL) for one Delivery per job: in the benchmark's 503-first run that was 20,000 GETs,
/// more CPU than the retries' own store writes. Checks that arrive while a request is in
/// flight go out together (a group commit) as one list per namespace, selected by the
/// Deliveries' `herald.dev/notification` label; a Delivery the list does not hold (its label
/// was changed, or it is gone) is read by name, so an answer never rests on the label alone.
struct HTTPDelayedJobCheck: DelayedJobCheck {
    /// The two reads the check makes of Deliveries (status code and body): the API server's.
    struct Reads: Sendable {
        var list: @Sendable (_ namespace: String, _ labelSelector: String, _ limit: Int) async throws -> (Int, ByteBuffer)
        var get: @Sendable (_ namespace: String, _ name: String) async throws -> (Int, ByteBuffer)

        static func api(_ api: APIServerReader) -> Reads {
            Reads(
                list: { try await api.list(namespace: $0, plural: "deliveries", labelSelector: $1, limit: $2) },
                get: { try await api.get(namespace: $0, plural: "deliveries", name: $1) })
        }
    }

    private let batches: GroupCommit<DeliveryJob, Bool>

    /// Notifications named in one list request, so its URL and its answer stay small.
    static let notificationsPerList = 32

    /// Deliveries one list may bring per job it answers (plus a few): a Notification to thousands
    /// of recipients must not make a handful of retries fetch all of its Deliveries. What a cut
    /// list leaves out is read by name.
    static func listLimit(jobs: Int) -> Int { 8 * jobs + 64 }

    init(api: APIServerReader, maxBatch: Int = 512) {
        self.init(reads: .api(api), maxBatch: maxBatch)
    }

    init(reads: Reads, maxBatch: Int = 512) {
        batches = GroupCommit(maxBatch: maxBatch) { jobs in
            await Self.check(jobs, reads: reads).map { .success($0) }
        }
    }

    func isStillWanted(_ job: DeliveryJob) async -> Bool {
        // A commit answers every job; should it not, sending is the at-least-once choice.
        (try? await batches.submit(job)) ?? true
    }

    static func check(_ jobs: [DeliveryJob], reads: Reads) async -> [Bool] {
        var listed: [String: [String: Resource]] = [:]
        for (namespace, notifications) in listable(jobs) {
            for start in stride(from: 0, to: notifications.count, by: notificationsPerList) {
                let chunk = notifications[start..<min(notifications.count, start + notificationsPerList)]
                let asking = chunk.reduce(0) { $0 + $1.jobs }
                guard
                    let items = await list(
                        namespace: namespace, notifications: chunk.map(\.name), limit: listLimit(jobs: asking), reads: reads)
                else { continue }
                listed[namespace, default: [:]].merge(items) { a, _ in a }
            }
        }
        var answers = [Bool?](repeating: nil, count: jobs.count)
        var unanswered: [Int] = []
        for (i, job) in jobs.enumerated() {
            if let delivery = listed[job.namespace]?[job.delivery] {
                answers[i] = DelayedJob.isWanted(job, delivery: delivery)
            } else {
                unanswered.append(i)
            }
        }
        await withTaskGroup(of: (Int, Bool).self) { group in
            for i in unanswered { group.addTask { (i, await get(jobs[i], reads: reads)) } }
            for await (i, wanted) in group { answers[i] = wanted }
        }
        return answers.map { $0 ?? true }
    }

    /// Notification names per namespace, each once, in the order first asked, with how many of
    /// the jobs belong to each; names that cannot be a label value (longer than 63 characters)
    /// are left to reads by name.
    static func listable(_ jobs: [DeliveryJob]) -> [(String, [(name: String, jobs: Int)])] {
        var order: [String] = []
        var names: [String: [(name: String, jobs: Int)]] = [:]
        var position: [String: Int] = [:]
        for job in jobs where job.notification.utf8.count <= 63 {
            let key = job.namespace + "/" + job.notification
            if let i = position[key] {
                names[job.namespace]?[i].jobs += 1
                continue
            }
            if names[job.namespace] == nil { order.append(job.namespace) }
            position[key] = names[job.namespace, default: []].count
            names[job.namespace, default: []].append((job.notification, 1))
        }
        return order.map { ($0, names[$0] ?? []) }
    }

    /// The Deliveries of these Notifications by name; nil when the list cannot be had.
    static func list(namespace: String, notifications: [String], limit: Int, reads: Reads) async -> [String: Resource]? {
        let selector = "\(NotificationPlanner.notificationLabel) in (\(notifications.joined(separator: ",")))"
        guard let (status, body) = try? await reads.list(namespace, selector, limit),
            status == 200, let items = (try? JSON.parse(body.readableBytesView))?["items"]?.arrayValue
        else { return nil }
        var byName: [String: Resource] = [:]
        byName.reserveCapacity(items.count)
        for item in items {
            let delivery = Resource(item)
            byName[delivery.name] = delivery
        }
        return byName
    }

    static func get(_ job: DeliveryJob, reads: Reads) async -> Bool {
        do {
            let (status, body) = try await reads.get(job.namespace, job.delivery)
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
