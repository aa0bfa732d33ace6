import Synchronization

/// Resolved Secrets kept for a short TTL, so a burst of jobs costs one read per Secret while a
/// rotated credential is picked up within seconds. Every resolver that reads from somewhere
/// slower than memory (the API server, the store) puts one in front of its reads.
public final class SecretCache: Sendable {
    private let ttl: Double
    private let clock: any WorkerClock
    private let entries = Mutex<[String: (expires: Double, data: SecretData)]>([:])

    /// - Parameter ttl: seconds a fetched Secret is reused.
    public init(ttl: Double = 10, clock: any WorkerClock = SystemWorkerClock()) {
        self.ttl = ttl
        self.clock = clock
    }

    /// The cached Secret when still fresh; otherwise the result of `fetch`, cached on success.
    /// Failures are not cached: a Secret created a moment later is found by the next job.
    public func secret(
        namespace: String, name: String, fetch: () async throws(SecretError) -> SecretData
    ) async throws(SecretError) -> SecretData {
        let key = namespace + "/" + name
        let now = clock.now()
        if let hit = entries.withLock({ $0[key] }), hit.expires > now { return hit.data }
        let fresh = try await fetch()
        entries.withLock { $0[key] = (now + ttl, fresh) }
        return fresh
    }

    /// Drops a cached Secret, e.g. after a provider rejected a credential.
    public func invalidate(namespace: String, name: String) {
        _ = entries.withLock { $0.removeValue(forKey: namespace + "/" + name) }
    }
}
