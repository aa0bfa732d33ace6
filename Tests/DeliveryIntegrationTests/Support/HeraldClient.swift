import Foundation
import HeraldAPI
import NIOHTTP1

@testable import heraldctl

/// The few calls the tests make against Herald's HTTP API, over heraldctl's own `APIClient`
/// (the requests kubectl and heraldctl send), in the `default` namespace.
struct HeraldClient: Sendable {
    let client: APIClient
    let server: String

    init(server: String) {
        self.server = server
        client = APIClient(server: server, token: nil, requestTimeout: 30)
    }

    func shutdown() async { await client.shutdown() }

    static func path(_ kind: String, _ name: String? = nil) -> String {
        let plural = kind.lowercased() + (kind.hasSuffix("y") ? "" : "s")
        let collection = "/apis/herald.dev/v1alpha1/namespaces/default/" + (kind == "Delivery" ? "deliveries" : plural)
        return name.map { collection + "/" + $0 } ?? collection
    }

    @discardableResult
    func create(_ kind: String, _ name: String, spec: JSON) async throws -> JSON {
        let object: JSON = [
            "apiVersion": "herald.dev/v1alpha1", "kind": .string(kind),
            "metadata": ["name": .string(name), "namespace": "default"], "spec": spec,
        ]
        return try await client.request(.POST, Self.path(kind), body: object)
    }

    func get(_ kind: String, _ name: String) async throws -> JSON? {
        try await client.getIfExists(Self.path(kind, name))
    }

    func delete(_ kind: String, _ name: String) async throws {
        _ = try await client.request(.DELETE, Self.path(kind, name))
    }

    /// Every Delivery in the namespace.
    func deliveries() async throws -> [JSON] {
        try await client.get(Self.path("Delivery"))["items"]?.arrayValue ?? []
    }

    /// The Deliveries of one Notification.
    func deliveries(of notification: String) async throws -> [JSON] {
        try await deliveries().filter { $0["spec"]?["notification"]?.stringValue == notification }
    }

    /// Waits until the Notification's `Delivered` condition is True.
    @discardableResult
    func waitDelivered(_ name: String, timeout: Double) async throws -> JSON {
        let last = try await eventually("Notification \(name) Delivered", timeout: timeout, interval: .milliseconds(200)) {
            try await get("Notification", name)?["status"] ?? .null
        } until: {
            $0.conditionStatus("Delivered") == "True"
        }
        return last
    }
}

extension JSON {
    /// The `status` of condition `type` in a status object.
    func conditionStatus(_ type: String) -> String? {
        self["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["status"]?.stringValue
    }

    var phase: String? { self["status"]?["phase"]?.stringValue }
}
