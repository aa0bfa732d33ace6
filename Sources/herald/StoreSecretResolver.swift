import HeraldAPI
import Store
import Workers

/// Workers running inside `herald serve` read Secrets from the store directly (no HTTP hop),
/// through a `SecretCache`: a store read per job cost PostgreSQL as much as a delivery's writes.
struct StoreSecretResolver: SecretResolver {
    let store: any Store
    let cache = SecretCache()

    func secret(namespace: String, name: String) async throws(SecretError) -> SecretData {
        try await cache.secret(namespace: namespace, name: name) { () async throws(SecretError) in
            try await read(namespace: namespace, name: name)
        }
    }

    private func read(namespace: String, name: String) async throws(SecretError) -> SecretData {
        do {
            let r = try await store.get(ObjectKey(kind: "Secret", namespace: namespace, name: name))
            return SecretData(resource: r)
        } catch StoreError.notFound {
            throw .notFound(namespace: namespace, name: name)
        } catch {
            throw .unavailable(namespace: namespace, name: name, reason: "\(error)")
        }
    }
}
