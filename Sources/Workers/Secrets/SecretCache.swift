import Synchronization

/// Resolved Secrets kept for a short TTL, so a burst of jobs costs one read per Secret while a
/// rotated credential is picked up within seconds. Every resolver that reads from somewhere
/// slower than memory (the API server, the store) puts one in front of its reads.
///
/// One read per Secret at a time: the jobs that miss while it is under way wait for it. When a
/// Secret's TTL ran out, every job in flight for its Channel (hundreds, with a worker's default
/// concurrency) used to miss at that instant and each read it again.
public final class SecretCache: Sendable {
    private struct Fresh {
        var expires: Double
        var data: SecretData
    }

    private enum Lookup {
        case hit(SecretData)
        case wait(Task<SecretData, any Error>)
    }

    private struct State {
        var fresh: [String: Fresh] = [:]
        var reading: [String: Task<SecretData, any Error>] = [:]
    }

    private let ttl: Double
    private let clock: any WorkerClock
    private let state = Mutex(State())

    /// - Parameter ttl: seconds a fetched Secret is reused.
    public init(ttl: Double = 10, clock: any WorkerClock = SystemWorkerClock()) {
        self.ttl = ttl
        self.clock = clock
    }

    /// The cached Secret when still fresh; otherwise the result of `fetch` (or of the read
    /// already under way for it), cached on success. Failures are not cached: a Secret created a
    /// moment later is found by the next job.
    public func secret(
        namespace: String, name: String, fetch: @escaping @Sendable () async throws(SecretError) -> SecretData
    ) async throws(SecretError) -> SecretData {
        let key = namespace + "/" + name
        let now = clock.now()
        let ttl = self.ttl
        let found = state.withLock { s -> Lookup in
            if let hit = s.fresh[key], hit.expires > now { return .hit(hit.data) }
            if let reading = s.reading[key] { return .wait(reading) }
            // Unstructured, so that one waiter's cancellation does not fail the others' read.
            let read = Task { [self] () async throws -> SecretData in
                let outcome: Result<SecretData, SecretError>
                do throws(SecretError) { outcome = .success(try await fetch()) } catch { outcome = .failure(error) }
                self.state.withLock { s in
                    s.reading[key] = nil
                    if case .success(let data) = outcome { s.fresh[key] = Fresh(expires: now + ttl, data: data) }
                }
                return try outcome.get()
            }
            s.reading[key] = read
            return .wait(read)
        }
        switch found {
        case .hit(let data):
            return data
        case .wait(let read):
            do {
                return try await read.value
            } catch let error as SecretError {
                throw error
            } catch {
                throw .unavailable(namespace: namespace, name: name, reason: "\(error)")
            }
        }
    }

    /// Drops a cached Secret, e.g. after a provider rejected a credential.
    public func invalidate(namespace: String, name: String) {
        _ = state.withLock { $0.fresh.removeValue(forKey: namespace + "/" + name) }
    }
}
