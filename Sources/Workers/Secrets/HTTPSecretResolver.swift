import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore
import Synchronization

/// Reads Secrets from the API server (`GET /apis/herald.dev/v1alpha1/namespaces/{ns}/secrets/{name}`)
/// and keeps them for a short TTL, so a burst of jobs costs one request per Secret while a
/// rotated credential is picked up within seconds.
public final class HTTPSecretResolver: SecretResolver {
    private let api: APIServerReader
    private let ttl: Double
    private let clock: any WorkerClock
    private let cache = Mutex<[String: (expires: Double, data: SecretData)]>([:])

    /// - Parameters:
    ///   - baseURL: the API server, e.g. `http://127.0.0.1:8080`.
    ///   - bearerToken: sent as `Authorization: Bearer …` when the API server requires it.
    ///   - ttl: seconds a fetched Secret is reused.
    public init(
        baseURL: String, bearerToken: String? = nil, ttl: Double = 10, client: HTTPClient = .shared,
        clock: any WorkerClock = SystemWorkerClock()
    ) {
        api = APIServerReader(baseURL: baseURL, bearerToken: bearerToken, client: client)
        self.ttl = ttl
        self.clock = clock
    }

    public func secret(namespace: String, name: String) async throws(SecretError) -> SecretData {
        let key = namespace + "/" + name
        let now = clock.now()
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.data }

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
        let fresh = SecretData(
            namespace: namespace, name: name,
            values: Dictionary(uniqueKeysWithValues: data.keys.compactMap { k in data.bytes(k).map { (k, $0) } }))
        cache.withLock { $0[key] = (now + ttl, fresh) }
        return fresh
    }

    /// Drops cached Secrets, e.g. after a provider rejected a credential.
    public func invalidate(namespace: String, name: String) {
        _ = cache.withLock { $0.removeValue(forKey: namespace + "/" + name) }
    }
}
