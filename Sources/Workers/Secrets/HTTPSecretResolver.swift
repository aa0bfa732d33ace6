import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore

/// Reads Secrets from the API server (`GET /apis/herald.dev/v1alpha1/namespaces/{ns}/secrets/{name}`)
/// through a `SecretCache`.
public final class HTTPSecretResolver: SecretResolver {
    private let api: APIServerReader
    private let cache: SecretCache

    /// - Parameters:
    ///   - baseURL: the API server, e.g. `http://127.0.0.1:8080`.
    ///   - bearerToken: sent as `Authorization: Bearer …` when the API server requires it.
    ///   - ttl: seconds a fetched Secret is reused.
    public convenience init(
        baseURL: String, bearerToken: String? = nil, ttl: Double = 10, client: HTTPClient = .shared,
        clock: any WorkerClock = SystemWorkerClock()
    ) {
        self.init(
            api: APIServerReader(baseURL: baseURL, bearerToken: bearerToken, client: client), ttl: ttl, clock: clock)
    }

    /// Reads through `api`, which a worker shares with its other API-server reads.
    public init(api: APIServerReader, ttl: Double = 10, clock: any WorkerClock = SystemWorkerClock()) {
        self.api = api
        cache = SecretCache(ttl: ttl, clock: clock)
    }

    public func secret(namespace: String, name: String) async throws(SecretError) -> SecretData {
        try await cache.secret(namespace: namespace, name: name) { () async throws(SecretError) in
            try await self.fetch(namespace: namespace, name: name)
        }
    }

    private func fetch(namespace: String, name: String) async throws(SecretError) -> SecretData {
        let status: Int
        let body: ByteBuffer
        do {
            (status, body) = try await api.get(namespace: namespace, plural: "secrets", name: name)
        } catch {
            throw .unavailable(namespace: namespace, name: name, reason: "\(error)")
        }
        switch status {
        case 200: break
        case 404: throw .notFound(namespace: namespace, name: name)
        case 401, 403: throw .forbidden(namespace: namespace, name: name, status: status)
        default: throw .unavailable(namespace: namespace, name: name, reason: "HTTP \(status)")
        }
        let json: JSON
        do { json = try JSON.parse(body.readableBytesView) } catch {
            throw .unavailable(namespace: namespace, name: name, reason: "the response is not JSON")
        }
        let data = SecretData(resource: Resource(json))
        return SecretData(
            namespace: namespace, name: name,
            values: Dictionary(uniqueKeysWithValues: data.keys.compactMap { k in data.bytes(k).map { (k, $0) } }))
    }

    /// Drops cached Secrets, e.g. after a provider rejected a credential.
    public func invalidate(namespace: String, name: String) {
        cache.invalidate(namespace: namespace, name: name)
    }
}
