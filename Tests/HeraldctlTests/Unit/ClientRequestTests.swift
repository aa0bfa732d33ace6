import HeraldAPI
import Testing

@testable import heraldctl

@Suite("HTTP requests")
struct ClientRequestTests {
    @Test func bearerTokenAndAcceptHeaders() async {
        let client = APIClient(server: "127.0.0.1:8080/", token: "t0k", requestTimeout: nil)
        let request = client.makeRequest(
            .GET, "/apis/herald.dev/v1alpha1/namespaces/default/notifications",
            query: [("labelSelector", "team in (a,b)"), ("fieldSelector", "metadata.name=x")], accept: APIClient.tableAccept,
            contentType: nil, body: nil)
        #expect(
            request.url
                == "http://127.0.0.1:8080/apis/herald.dev/v1alpha1/namespaces/default/notifications?labelSelector=team%20in%20%28a%2Cb%29&fieldSelector=metadata.name%3Dx"
        )
        #expect(request.headers.first(name: "Authorization") == "Bearer t0k")
        #expect(request.headers.first(name: "Accept")?.hasPrefix("application/json;as=Table;v=v1;g=meta.k8s.io") == true)
        #expect(client.hostPort == "127.0.0.1:8080")
        await client.shutdown()
    }

    @Test func noTokenNoAuthorization() async {
        let client = APIClient(server: "http://h:1", token: nil, requestTimeout: nil)
        let request = client.makeRequest(.GET, "/version", query: [], accept: "application/json", contentType: nil, body: nil)
        #expect(request.headers.first(name: "Authorization") == nil)
        await client.shutdown()
    }

    @Test func discoveryResolvesNames() {
        let resources = [
            APIResource(
                group: "", version: "v1", kind: "Event", name: "events", singularName: "event", namespaced: true,
                shortNames: ["ev"], verbs: [], categories: []),
            APIResource(
                group: "herald.dev", version: "v1alpha1", kind: "Notification", name: "notifications",
                singularName: "notification", namespaced: true, shortNames: ["notif"], verbs: [], categories: []),
        ]
        for typed in [
            "notif", "notifications", "Notification", "notification", "notifications.herald.dev",
            "notification.v1alpha1.herald.dev",
        ] {
            #expect(Discovery.match(typed, in: resources)?.kind == "Notification", "\(typed)")
        }
        #expect(Discovery.match("ev", in: resources)?.kind == "Event")
        #expect(Discovery.match("widgets", in: resources) == nil)
        #expect(Discovery.match("notifications.other.dev", in: resources) == nil)
    }
}
