import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore

/// The resources a delivery benchmark sends through: a signing Secret, a webhook Channel to the
/// sink (and one to the sink that fails every first attempt, with a 1 s backoff), a Template,
/// and the recipients (`bench-group: burst`, M of them; `bench-group: idle`, one).
enum BenchFixture {
    static func create(_ api: BenchClient, namespace ns: String, sink: String, failFirstSink: String, recipients: Int) async throws {
        try await api.post(
            ns, "secrets",
            [
                "apiVersion": "herald.dev/v1alpha1", "kind": "Secret", "metadata": ["name": "hooks"],
                "stringData": ["secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            ])
        for (name, url) in [("hook", sink), ("hook503", failFirstSink)] {
            try await api.post(
                ns, "channels",
                [
                    "apiVersion": "herald.dev/v1alpha1", "kind": "Channel", "metadata": ["name": .string(name)],
                    "spec": [
                        "type": "webhook", "timeout": "10s",
                        "webhook": ["url": .string(url + "/hook"), "signingSecretRef": ["name": "hooks", "key": "secret"]],
                        "retry": ["maxAttempts": 5, "initialBackoff": "1s", "maxBackoff": "10s", "multiplier": 2, "jitter": "none"],
                        // Every first attempt failing is the scenario, not an outage: keep the breaker shut.
                        "circuitBreaker": ["failureThreshold": 1_000_000, "openFor": "1s"],
                    ],
                ])
        }
        try await api.post(
            ns, "templates",
            [
                "apiVersion": "herald.dev/v1alpha1", "kind": "Template", "metadata": ["name": "bench"],
                "spec": [
                    "variables": [["name": "name", "required": true]],
                    "webhook": ["body": #"{"event":"bench","notification":"{{name}}"}"#],
                ],
            ])
        for i in 0..<recipients {
            try await api.post(ns, "recipients", recipient("r\(i)", group: "burst"))
        }
        try await api.post(ns, "recipients", recipient("solo", group: "idle"))
    }

    static func recipient(_ name: String, group: String) -> JSON {
        [
            "apiVersion": "herald.dev/v1alpha1", "kind": "Recipient",
            "metadata": ["name": .string(name), "labels": ["bench-group": .string(group)]],
            "spec": ["email": .string("\(name)@example.com")],
        ]
    }
}

extension BenchClient {
    func post(_ namespace: String, _ plural: String, _ body: JSON) async throws {
        var request = HTTPClientRequest(url: "\(base)/apis/herald.dev/v1alpha1/namespaces/\(namespace)/\(plural)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        let response = try await http.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .created else { throw BenchError("creating \(plural) answered \(response.status): \(text)") }
    }

    func createNotification(namespace: String, name: String, channel: String, group: String) async throws {
        try await post(
            namespace, "notifications",
            [
                "apiVersion": "herald.dev/v1alpha1", "kind": "Notification", "metadata": ["name": .string(name)],
                "spec": [
                    "templateRef": ["name": "bench"], "variables": ["name": .string(name)],
                    "to": [["selector": ["matchLabels": ["bench-group": .string(group)]]]], "channels": [.string(channel)],
                ],
            ])
    }

    func sinkStats(_ sink: String) async throws -> (requests: Int, distinct: Int) {
        let response = try await http.execute(HTTPClientRequest(url: sink + "/stats"), timeout: .seconds(10))
        let json = try JSON.parse(Array(buffer: try await response.body.collect(upTo: 1 << 16)))
        return (Int(json["requests"]?.intValue ?? 0), Int(json["distinct"]?.intValue ?? 0))
    }
}
