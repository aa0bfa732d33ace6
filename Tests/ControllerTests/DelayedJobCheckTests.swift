import Foundation
import HeraldAPI
import Testing

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
