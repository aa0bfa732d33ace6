import HeraldAPI
import Store
import Workers

/// Workers running inside `herald serve` read Secrets from the store directly (no HTTP hop).
struct StoreSecretResolver: SecretResolver {
    let store: any Store

    func secret(namespace: String, name: String) async throws(SecretError) -> SecretData {
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
