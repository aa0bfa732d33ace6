import APIServer
import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import HummingbirdTesting
import Store
import Testing

@Suite struct ResourceAPITests {
    @Test func versionAndDiscovery() async throws {
        try await TestAPI().run { client in
            let version = try await client.send(.get, "/version")
            #expect(version.json?["minor"] == "32")
            let legacy = try await client.send(.get, "/apis")
            #expect(legacy.json?["kind"] == "APIGroupList")
            let aggregated = try await client.send(
                .get, "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
            #expect(aggregated.headers[.contentType] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
            let resources = aggregated.json?["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["resources"]?.arrayValue ?? []
            let notif = resources.first { $0["resource"] == "notifications" }
            #expect(notif?["shortNames"] == ["notif"])
            #expect(notif?["categories"] == ["herald"])
            let list = try await client.send(.get, "/apis/herald.dev/v1alpha1")
            #expect(list.json?["resources"]?.arrayValue?.contains { $0["name"] == "deliveries/status" } == true)
            let openapi = try await client.send(.get, "/openapi/v3/apis/herald.dev/v1alpha1")
            let patch = openapi.json?["paths"]?["/apis/herald.dev/v1alpha1/namespaces/{namespace}/notifications/{name}"]?["patch"]
            #expect(patch?["parameters"]?.arrayValue?.contains { $0["name"] == "fieldValidation" } == true)
            #expect(patch?["requestBody"]?["content"]?["application/strategic-merge-patch+json"] == nil)
            #expect(try await client.send(.get, "/openapi/v2").status == 404)
        }
    }

    @Test func createGetListTable() async throws {
        try await TestAPI().run { client in
            let created = try await client.send(.post, notifications, notificationJSON("a"))
            #expect(created.status == 201)
            #expect(created.json?["metadata"]?["generation"] == 1)
            #expect(try await client.send(.post, notifications, notificationJSON("a")).json?["reason"] == "AlreadyExists")
            let got = try await client.send(.get, "\(notifications)/a")
            #expect(got.json?["metadata"]?["uid"] == created.json?["metadata"]?["uid"])
            let list = try await client.send(.get, "\(notifications)?labelSelector=app%3Ddemo")
            #expect(list.json?["kind"] == "NotificationList")
            #expect(list.json?["metadata"]?["resourceVersion"] != nil)
            #expect(list.json?["items"]?.arrayValue?.count == 1)
            let table = try await client.send(
                .get, notifications, accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
            #expect(table.json?["kind"] == "Table")
            let columns = table.json?["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(columns.starts(with: ["Name", "Phase", "Delivered", "Age"]))
            let row = table.json?["rows"]?.arrayValue?.first
            #expect(row?["cells"]?.arrayValue?[2] == "0/0")
            #expect(row?["object"]?["metadata"]?["name"] == "a")
            let missing = try await client.send(.get, "\(notifications)/nope")
            #expect(missing.status == 404)
            #expect(missing.json?["message"] == "notifications.herald.dev \"nope\" not found")
        }
    }

    @Test func patchesAndGeneration() async throws {
        try await TestAPI().run { client in
            try await client.send(.post, notifications, notificationJSON("p"))
            let labelled = try await client.send(
                .patch, "\(notifications)/p", #"{"metadata":{"labels":{"x":"y"}}}"#, contentType: "application/merge-patch+json")
            #expect(labelled.json?["metadata"]?["generation"] == 1)
            let spec = try await client.send(
                .patch, "\(notifications)/p", #"[{"op":"replace","path":"/spec/message/subject","value":"new"}]"#,
                contentType: "application/json-patch+json")
            #expect(spec.json?["metadata"]?["generation"] == 2)
            let smp = try await client.send(.patch, "\(notifications)/p", "{}", contentType: "application/strategic-merge-patch+json")
            #expect(smp.status == 415)
            #expect(smp.json?["reason"] == "UnsupportedMediaType")
            let same = try await client.send(
                .patch, "\(notifications)/p", #"{"spec":{"message":{"subject":"new"}}}"#, contentType: "application/merge-patch+json")
            #expect(same.json?["metadata"]?["resourceVersion"] == spec.json?["metadata"]?["resourceVersion"])
            // Status through the main resource is ignored; through /status it is kept.
            let mainStatus = try await client.send(
                .patch, "\(notifications)/p", #"{"status":{"phase":"Delivered"}}"#, contentType: "application/merge-patch+json")
            #expect(mainStatus.json?["status"] == nil)
            let status = try await client.send(
                .patch, "\(notifications)/p/status", #"{"status":{"phase":"Delivered"}}"#, contentType: "application/merge-patch+json")
            #expect(status.json?["status"]?["phase"] == "Delivered")
            #expect(status.json?["metadata"]?["generation"] == 2)
        }
    }

    @Test func serverSideApplyConflicts() async throws {
        try await TestAPI().run { client in
            let apply = "application/apply-patch+yaml"
            let created = try await client.send(
                .patch, "\(notifications)/s?fieldManager=alice", notificationJSON("s", subject: "a"), contentType: apply)
            #expect(created.status == 201)
            let again = try await client.send(
                .patch, "\(notifications)/s?fieldManager=alice", notificationJSON("s", subject: "a"), contentType: apply)
            #expect(again.status == 200)
            #expect(again.json?["metadata"]?["resourceVersion"] == created.json?["metadata"]?["resourceVersion"])
            let conflict = try await client.send(
                .patch, "\(notifications)/s?fieldManager=bob", notificationJSON("s", subject: "b"), contentType: apply)
            #expect(conflict.status == 409)
            #expect(conflict.json?["details"]?["causes"]?.arrayValue?.first?["reason"] == "FieldManagerConflict")
            let forced = try await client.send(
                .patch, "\(notifications)/s?fieldManager=bob&force=true", notificationJSON("s", subject: "b"), contentType: apply)
            #expect(forced.json?["spec"]?["message"]?["subject"] == "b")
            let noManager = try await client.send(.patch, "\(notifications)/s", notificationJSON("s"), contentType: apply)
            #expect(noManager.status == 400)
        }
    }

    @Test func dryRunPersistsNothing() async throws {
        try await TestAPI().run { client in
            let dry = try await client.send(.post, "\(notifications)?dryRun=All", notificationJSON("d"))
            #expect(dry.status == 201)
            #expect(try await client.send(.get, "\(notifications)/d").status == 404)
            try await client.send(.post, notifications, notificationJSON("d"))
            let p1 = try await client.send(
                .patch, "\(notifications)/d?dryRun=All", #"{"spec":{"category":"x"}}"#, contentType: "application/merge-patch+json")
            let p2 = try await client.send(
                .patch, "\(notifications)/d?dryRun=All", #"{"spec":{"category":"x"}}"#, contentType: "application/merge-patch+json")
            // Identical but for the managedFields timestamp, which is the time of the request.
            var j1 = p1.json ?? .null
            var j2 = p2.json ?? .null
            j1.set(path: ["metadata", "managedFields"], to: nil)
            j2.set(path: ["metadata", "managedFields"], to: nil)
            #expect(j1 == j2)
            #expect(p1.json?["metadata"]?["resourceVersion"] == p2.json?["metadata"]?["resourceVersion"])
            #expect(try await client.send(.get, "\(notifications)/d").json?["spec"]?["category"] == nil)
            _ = try await client.send(.delete, "\(notifications)/d?dryRun=All")
            #expect(try await client.send(.get, "\(notifications)/d").status == 200)
        }
    }

    @Test func watchStreamsEventsAndExpires() async throws {
        try await TestAPI().run { client in
            let created = try await client.send(.post, notifications, notificationJSON("w"))
            let rv = created.json?["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            try await client.send(
                .patch, "\(notifications)/w", #"{"metadata":{"labels":{"n":"1"}}}"#, contentType: "application/merge-patch+json")
            let watch = try await client.send(.get, "\(notifications)?watch=true&resourceVersion=\(rv)&timeoutSeconds=1")
            let lines = watch.text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
            #expect(lines.map { $0["type"] } == ["MODIFIED"])
            let fromZero = try await client.send(
                .get, "\(notifications)?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dw",
                accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
            let first = fromZero.text.split(separator: "\n").first.flatMap { try? JSON.parse(String($0)) }
            #expect(first?["type"] == "ADDED")
            #expect(first?["object"]?["kind"] == "Table")
            let garbage = try await client.send(.get, "\(notifications)?watch=true&resourceVersion=abc")
            #expect(garbage.status == 400)
        }
    }

    @Test func finalizersAndDelete() async throws {
        try await TestAPI().run { client in
            var body = notificationJSON("f")
            body = body.replacingOccurrences(of: #""labels":{"app":"demo"}"#, with: #""finalizers":["herald.dev/x"]"#)
            try await client.send(.post, notifications, body)
            let deleting = try await client.send(.delete, "\(notifications)/f", #"{"propagationPolicy":"Background"}"#)
            #expect(deleting.status == 200)
            #expect(deleting.json?["metadata"]?["deletionTimestamp"] != nil)
            try await client.send(
                .patch, "\(notifications)/f", #"{"metadata":{"finalizers":null}}"#, contentType: "application/merge-patch+json")
            #expect(try await client.send(.get, "\(notifications)/f").status == 404)
            #expect(try await client.send(.delete, "\(notifications)/f").status == 404)
        }
    }

    @Test func healthAndMetrics() async throws {
        try await TestAPI().run { client in
            let health = try await client.send(.get, "/healthz")
            let ready = try await client.send(.get, "/readyz")
            let live = try await client.send(.get, "/livez")
            #expect(health.text == "ok")
            #expect(ready.status == 200)
            #expect(live.status == 200)
        }
    }
}
