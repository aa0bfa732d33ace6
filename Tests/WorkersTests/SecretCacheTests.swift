import Synchronization
import Testing

@testable import Workers

/// One read per Secret at a time, cached for the TTL; failures reach every waiter and are not kept.
@Suite struct SecretCacheTests {
    final class Reads: Sendable {
        let count = Mutex(0)
        let fail = Mutex(false)

        func read() async throws(SecretError) -> SecretData {
            count.withLock { $0 += 1 }
            // Long enough that every caller below arrives while it is under way.
            try? await Task.sleep(for: .milliseconds(100))
            if fail.withLock({ $0 }) { throw .unavailable(namespace: "default", name: "hooks", reason: "HTTP 503") }
            return SecretData(namespace: "default", name: "hooks", values: ["secret": Array("whsec_abc".utf8)])
        }
    }

    func askAtOnce(_ cache: SecretCache, _ reads: Reads, times: Int) async -> [Result<SecretData, SecretError>] {
        await withTaskGroup(of: Result<SecretData, SecretError>.self) { group in
            for _ in 0..<times {
                group.addTask {
                    do throws(SecretError) {
                        return .success(
                            try await cache.secret(namespace: "default", name: "hooks") { () async throws(SecretError) in
                                try await reads.read()
                            })
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var out: [Result<SecretData, SecretError>] = []
            for await r in group { out.append(r) }
            return out
        }
    }

    @Test func callersMissingTogetherShareOneRead() async {
        let clock = ManualClock()
        let cache = SecretCache(ttl: 10, clock: clock)
        let reads = Reads()
        let first = await askAtOnce(cache, reads, times: 64)
        #expect(first.allSatisfy { (try? $0.get())?.string("secret") == "whsec_abc" })
        #expect(reads.count.withLock { $0 } == 1)
        // Fresh: from memory. Expired: one read again, however many ask.
        _ = await askAtOnce(cache, reads, times: 8)
        #expect(reads.count.withLock { $0 } == 1)
        clock.advance(11)
        _ = await askAtOnce(cache, reads, times: 64)
        #expect(reads.count.withLock { $0 } == 2)
    }

    @Test func aFailedReadFailsItsWaitersAndIsNotKept() async {
        let cache = SecretCache(ttl: 10, clock: ManualClock())
        let reads = Reads()
        reads.fail.withLock { $0 = true }
        let failed = await askAtOnce(cache, reads, times: 16)
        #expect(failed.allSatisfy { if case .failure(.unavailable) = $0 { true } else { false } })
        #expect(reads.count.withLock { $0 } == 1)
        reads.fail.withLock { $0 = false }
        let later = await askAtOnce(cache, reads, times: 4)
        #expect(later.allSatisfy { (try? $0.get()) != nil })
        #expect(reads.count.withLock { $0 } == 2)
    }
}
