import APIServer
import Foundation
import HeraldAPI
import HummingbirdTesting
import Store
import Testing

/// While a controller holds its lease, a new Notification carries the controller's finalizer from
/// its first version; with none running, deletes stay immediate.
@Suite struct CreationFinalizerTests {
    let finalizer = ControllerConventions.notificationFinalizer

    @Test func noControllerNoFinalizer() async throws {
        let api = try TestAPI()
        try await api.run { client in
            let created = try await client.send(.post, notifications, notificationJSON("a"))
            #expect(created.status == 201)
            #expect(created.json?["metadata"]?["finalizers"] == nil)
            #expect(try await client.send(.delete, "\(notifications)/a").status == 200)
            #expect(try await client.send(.get, "\(notifications)/a").status == 404)
        }
    }

    @Test func expiredLeaseIsNoController() async throws {
        let api = try TestAPI()
        _ = try await api.store.acquireLease(
            ControllerConventions.leaseName, holder: "gone", duration: 15, now: Date().addingTimeInterval(-60))
        try await api.run { client in
            let created = try await client.send(.post, notifications, notificationJSON("a"))
            #expect(created.json?["metadata"]?["finalizers"] == nil)
        }
    }

    @Test func createAndApplyGetTheFinalizerWhileAControllerLeads() async throws {
        let api = try TestAPI()
        _ = try await api.store.acquireLease(ControllerConventions.leaseName, holder: "c", duration: 60, now: Date())
        try await api.run { client in
            let created = try await client.send(.post, notifications, notificationJSON("a"))
            #expect(created.status == 201)
            #expect(created.json?["metadata"]?["finalizers"] == [.string(finalizer)])
            // Nobody's manager owns it: an applier that never named it cannot take it away.
            #expect(!created.text.contains("f:finalizers"))

            let apply = "application/apply-patch+yaml"
            let applied = try await client.send(
                .patch, "\(notifications)/s?fieldManager=alice", notificationJSON("s"), contentType: apply)
            #expect(applied.status == 201)
            #expect(applied.json?["metadata"]?["finalizers"] == [.string(finalizer)])
            let again = try await client.send(
                .patch, "\(notifications)/s?fieldManager=alice", notificationJSON("s", subject: "changed"), contentType: apply)
            #expect(again.status == 200)
            #expect(again.json?["metadata"]?["finalizers"] == [.string(finalizer)])

            // Only Notifications: other kinds have no controller finalizer.
            let template = try await client.send(
                .post, "/apis/herald.dev/v1alpha1/namespaces/default/templates", templateJSON("t", spec: #"{"sms":{"text":"x"}}"#))
            #expect(template.status == 201)
            #expect(template.json?["metadata"]?["finalizers"] == nil)

            // As in Kubernetes, the delete then waits for the controller to finalize.
            let deleting = try await client.send(.delete, "\(notifications)/a")
            #expect(deleting.json?["metadata"]?["deletionTimestamp"] != nil)
            #expect(try await client.send(.get, "\(notifications)/a").status == 200)
        }
    }
}
