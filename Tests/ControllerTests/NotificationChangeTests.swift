import HeraldAPI
import Testing

@testable import Controller

@Suite struct NotificationChangeTests {
    static func notification() -> Resource {
        var n = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Notification", namespace: "default", name: "welcome")
        n.uid = "u-1"
        n.resourceVersion = 10
        n.generation = 1
        n.spec = ["templateRef": ["name": "welcome"], "channels": ["hooks"], "to": [["recipientRef": ["name": "ada"]]]]
        n.addFinalizers([ControllerConventions.notificationFinalizer])
        n.status = ["phase": "Pending"]
        return n
    }

    @Test func aStatusWriteAloneNeedsNoReconcile() {
        let old = Self.notification()
        var new = old
        new.status = ["phase": "Delivered", "observedGeneration": 1]
        new.resourceVersion = 11
        new.managedFields = [["manager": "herald-controller", "operation": "Update", "subresource": "status"]]
        #expect(!NotificationChange.needsReconcile(old: old, new: new))
        #expect(!NotificationChange.needsReconcile(old: old, new: old))
    }

    @Test func specMetadataAndDeletionChangesNeedOne() {
        let old = Self.notification()
        var spec = old
        spec.spec?["suspend"] = true
        spec.generation = 2
        var specOnly = old
        specOnly.spec?["suspend"] = true
        var resend = old
        resend.annotations["herald.dev/resend-at"] = "2026-12-07T10:00:00Z"
        var unfinalized = old
        unfinalized.finalizers = []
        var deleting = old
        deleting.deletionTimestamp = "2026-12-07T10:00:00Z"
        var labelled = old
        labelled.labels["team"] = "ops"
        var recreated = old
        recreated.uid = "u-2"
        for new in [spec, specOnly, resend, unfinalized, deleting, labelled, recreated] {
            #expect(NotificationChange.needsReconcile(old: old, new: new))
        }
    }
}
