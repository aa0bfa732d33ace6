import APIServer
import Controller
import Foundation
import HeraldAPI
import Logging
import Store
import Testing
import Workers

@testable import herald

/// A job that waited in a delay tier is sent only if its Delivery still waits for that attempt.
@Suite struct DelayedJobCheckTests {
    let job = DeliveryJob(
        deliveryUID: "uid-1", namespace: "default", delivery: "d", notification: "n", attempt: 2,
        channel: JobChannel(name: "hooks", type: "webhook", spec: .emptyObject), template: .emptyObject,
        recipient: JobRecipient(address: .emptyObject), correlationID: "c", idempotencyKey: "uid-1-0")

    func delivery(uid: String = "uid-1", phase: String, attempts: Int64, deleting: Bool = false) -> Resource {
        var metadata: JSON = ["name": "d", "namespace": "default", "uid": .string(uid)]
        if deleting { metadata["deletionTimestamp"] = "2026-11-21T10:00:00Z" }
        return Resource([
            "apiVersion": "herald.dev/v1alpha1", "kind": "Delivery", "metadata": metadata,
            "status": ["phase": .string(phase), "attempts": .int(attempts)],
        ])
    }

    @Test func wantedWhileItsDeliveryWaitsForThisAttempt() {
        #expect(DelayedJob.isWanted(job, delivery: delivery(phase: "Retrying", attempts: 2)))
        #expect(DelayedJob.isWanted(job, delivery: delivery(phase: "Queued", attempts: 2)))
    }

    @Test(arguments: ["Canceled", "Delivered", "Failed", "Expired", "Suppressed"])
    func droppedOnceTheDeliveryEnded(phase: String) {
        #expect(!DelayedJob.isWanted(job, delivery: delivery(phase: phase, attempts: 2)))
    }

    @Test func droppedWhenGoneReplacedDeletedOrSuperseded() {
        #expect(!DelayedJob.isWanted(job, delivery: nil))
        #expect(!DelayedJob.isWanted(job, delivery: delivery(uid: "uid-2", phase: "Retrying", attempts: 2)))
        #expect(!DelayedJob.isWanted(job, delivery: delivery(phase: "Retrying", attempts: 2, deleting: true)))
        #expect(!DelayedJob.isWanted(job, delivery: delivery(phase: "Retrying", attempts: 3)))
    }

    @Test func onlyDeadLetteredJobsCameThroughADelayTier() {
        #expect(!DelayedJob.cameThroughDelayTier(headers: ["x-herald-reason": "PermanentFailure"]))
        #expect(DelayedJob.cameThroughDelayTier(headers: ["x-first-death-queue": "herald.retry.5s"]))
    }
}

/// `herald worker`'s check against a real API server: jobs asked about together go out as a few
/// label-selected lists; only Deliveries the lists lack are read by name.
@Suite struct HTTPDelayedJobCheckTests {
    func job(_ delivery: String, notification: String, uid: String, attempt: Int) -> DeliveryJob {
        DeliveryJob(
            deliveryUID: uid, namespace: "default", delivery: delivery, notification: notification, attempt: attempt,
            channel: JobChannel(name: "hooks", type: "webhook", spec: .emptyObject), template: .emptyObject,
            recipient: JobRecipient(address: .emptyObject), correlationID: "c", idempotencyKey: uid + "-0")
    }

    @Test func answersEachJobFromFewListsAndReadsByNameWhatTheyLack() async throws {
        let t = try TestStore()
        defer { t.remove() }
        // 12 notifications with 5 deliveries each; every third delivery ended, the rest wait for attempt 2.
        var jobs: [(DeliveryJob, Bool)] = []
        for n in 0..<12 {
            for d in 0..<5 {
                let name = "n\(n)-d\(d)"
                var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: name)
                r.labels = [NotificationPlanner.notificationLabel: "n\(n)"]
                r.spec = ["notification": .string("n\(n)")]
                r.status = ["phase": d % 3 == 0 ? "Canceled" : "Retrying", "attempts": 2]
                let created = try await t.store.create(r, options: WriteOptions(keepStatus: true))
                jobs.append((job(name, notification: "n\(n)", uid: created.uid, attempt: 2), d % 3 != 0))
            }
        }
        // Its label removed by hand: found by name, still wanted.
        var unlabeled = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: "n0-manual")
        unlabeled.spec = ["notification": "n0"]
        unlabeled.status = ["phase": "Retrying", "attempts": 2]
        let manual = try await t.store.create(unlabeled, options: WriteOptions(keepStatus: true))
        jobs.append((job("n0-manual", notification: "n0", uid: manual.uid, attempt: 2), true))
        // Gone, and superseded by a later attempt.
        jobs.append((job("n1-gone", notification: "n1", uid: "uid-gone", attempt: 2), false))
        jobs.append((job("n2-d1", notification: "n2", uid: jobs[11].0.deliveryUID, attempt: 1), false))

        // A Notification with 300 Deliveries and 2 jobs: its list is cut at the limit, and the
        // job whose Delivery falls outside the cut is read by name.
        var big: [DeliveryJob] = []
        for d in 0..<300 {
            let name = "big-d\(String(d + 1000))"
            var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: name)
            r.labels = [NotificationPlanner.notificationLabel: "big"]
            r.status = ["phase": "Retrying", "attempts": 2]
            let created = try await t.store.create(r, options: WriteOptions(keepStatus: true))
            if d == 0 || d == 299 { big.append(job(name, notification: "big", uid: created.uid, attempt: 2)) }
        }
        let server = APIServer(store: t.store, configuration: .init(host: "127.0.0.1", port: 0), logger: Logger(label: "test"))
        let port = Locked<Int>(0)
        let app = server.application { p in port.withLock { $0 = p } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            while port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let api = HTTPDelayedJobCheck.Reads.api(APIServerReader(baseURL: "http://127.0.0.1:\(port.withLock { $0 })"))
            let (lists, gets) = (Locked(0), Locked(0))
            let check = HTTPDelayedJobCheck(
                reads: .init(
                    list: { namespace, selector, limit in
                        lists.withLock { $0 += 1 }
                        return try await api.list(namespace, selector, limit)
                    },
                    get: { namespace, name in
                        gets.withLock { $0 += 1 }
                        return try await api.get(namespace, name)
                    }))
            let answers = await withTaskGroup(of: (Int, Bool).self) { asks in
                for (i, (job, _)) in jobs.enumerated() { asks.addTask { (i, await check.isStillWanted(job)) } }
                var out = [Bool](repeating: false, count: jobs.count)
                for await (i, wanted) in asks { out[i] = wanted }
                return out
            }
            for (i, (job, expected)) in jobs.enumerated() {
                #expect(answers[i] == expected, "\(job.delivery) attempt \(job.attempt)")
            }
            // 63 jobs of 12 notifications: a few lists (the first job may go alone), and reads by
            // name for just the two Deliveries no list holds.
            #expect((1...4).contains(lists.withLock { $0 }))
            #expect(gets.withLock { $0 } == 2)

            // The big Notification's two jobs: the list stops at 80 of its 300 Deliveries, so the
            // last one by name is read by name.
            let listsBefore = lists.withLock { $0 }
            let (firstJob, lastJob) = (big[0], big[1])
            async let first = check.isStillWanted(firstJob)
            async let last = check.isStillWanted(lastJob)
            let (a, b) = await (first, last)
            #expect(a && b)
            #expect((1...2).contains(lists.withLock { $0 } - listsBefore))
            #expect(gets.withLock { $0 } == 3)
            group.cancelAll()
        }
    }
}
