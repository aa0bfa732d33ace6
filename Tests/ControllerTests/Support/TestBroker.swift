import Foundation
import HeraldAPI
import Synchronization

@testable import Controller

/// An in-memory broker and worker for controller tests: published jobs run through `worker`
/// (after their delay tier, scaled by `tierScale`), and its results come back on the results
/// subscription. Everything published and dead-lettered is recorded, and so are the tokens of the
/// messages the controller acknowledged and rejected. With `holdResults()` results wait until
/// `releaseHeld` sends them packed in one message, as a worker packs what finished together.
final class TestBroker: JobPublisher, ResultSource, Sendable {
    typealias Worker = @Sendable (DeliveryJob) async -> DeliveryResult

    struct Published: Sendable {
        var job: DeliveryJob
        var delay: Double?
        var at: Date
    }

    struct State {
        var published: [Published] = []
        var started: [(job: DeliveryJob, at: Date)] = []
        var deadLetters: [DeadLetter] = []
        var failPublishes = 0
        var holding = false
        var held: [[UInt8]] = []
        var acknowledged: [UInt64] = []
        var rejected: [UInt64] = []
    }

    let worker: Worker
    let tierScale: Double
    let state = Mutex(State())
    let results: AsyncStream<ReceivedResult>
    let continuation: AsyncStream<ReceivedResult>.Continuation
    let tag = Atomic<UInt64>(0)

    init(tierScale: Double = 1, worker: @escaping Worker) {
        self.worker = worker
        self.tierScale = tierScale
        (results, continuation) = AsyncStream.makeStream(of: ReceivedResult.self)
    }

    /// A worker that delivers everything.
    static func delivering() -> TestBroker {
        TestBroker { job in Self.result(job, .delivered) }
    }

    static func result(_ job: DeliveryJob, _ outcome: DeliveryOutcome, code: String = "", message: String = "", retryAfter: Double? = nil)
        -> DeliveryResult
    {
        let now = Date()
        return DeliveryResult(
            deliveryUID: job.deliveryUID, attempt: job.attempt, outcome: outcome,
            code: code.isEmpty ? (outcome == .delivered ? "Delivered" : "Error") : code, message: message,
            providerMessageID: outcome == .delivered ? "test-\(job.idempotencyKey)" : nil, retryAfter: retryAfter,
            renderedDigest: "sha256:test", timings: DeliveryTimings(startedAt: now, finishedAt: now))
    }

    var published: [Published] { state.withLock { $0.published } }
    var deadLetters: [DeadLetter] { state.withLock { $0.deadLetters } }
    /// When each job started in the worker.
    var started: [(job: DeliveryJob, at: Date)] { state.withLock { $0.started } }

    func failNextPublishes(_ n: Int) { state.withLock { $0.failPublishes = n } }

    var heldCount: Int { state.withLock { $0.held.count } }
    /// Tokens of the messages acknowledged (the last of each `acknowledge(through:)`) and rejected.
    var acknowledged: [UInt64] { state.withLock { $0.acknowledged } }
    var rejected: [UInt64] { state.withLock { $0.rejected } }

    func holdResults() { state.withLock { $0.holding = true } }

    /// Sends the held results and `extra` elements in one packed message; returns its token.
    @discardableResult
    func releaseHeld(adding extra: [[UInt8]] = []) -> UInt64 {
        let held = state.withLock { s -> [[UInt8]] in
            defer { s.held = [] }
            return s.held
        }
        return send(ResultMessage.body(held + extra))
    }

    /// Puts one message on the results subscription; returns its token.
    @discardableResult
    func send(_ body: [UInt8]) -> UInt64 {
        let n = tag.wrappingAdd(1, ordering: .relaxed).newValue
        continuation.yield(ReceivedResult(body: body, redelivered: false, token: n))
        return n
    }

    func publish(_ jobs: [DeliveryJob], delaySeconds: Double?) async throws {
        let fail = state.withLock { s -> Bool in
            if s.failPublishes > 0 {
                s.failPublishes -= 1
                return true
            }
            let now = Date()
            s.published += jobs.map { Published(job: $0, delay: delaySeconds, at: now) }
            return false
        }
        if fail { throw TestError.publishRefused }
        for job in jobs {
            Task {
                if let delaySeconds { try? await Task.sleep(for: .milliseconds(Int64(delaySeconds * tierScale * 1000))) }
                state.withLock { $0.started.append((job, Date())) }
                let result = await worker(job)
                let hold = state.withLock { s -> Bool in
                    if s.holding { s.held.append(result.encoded()) }
                    return s.holding
                }
                if !hold { send(result.encoded()) }
            }
        }
    }

    func deadLetter(_ letters: [DeadLetter]) async throws {
        state.withLock { $0.deadLetters += letters }
    }

    func subscribe(prefetch: Int) async throws -> any ResultSubscription {
        Subscription(stream: results, broker: self)
    }

    struct Subscription: ResultSubscription {
        let stream: AsyncStream<ReceivedResult>
        let broker: TestBroker

        func next() async throws -> ReceivedResult? {
            var it = stream.makeAsyncIterator()
            return await it.next()
        }

        func acknowledge(through result: ReceivedResult) async throws {
            guard let n = result.token as? UInt64 else { return }
            broker.state.withLock { $0.acknowledged.append(n) }
        }

        func reject(_ result: ReceivedResult) async throws {
            guard let n = result.token as? UInt64 else { return }
            broker.state.withLock { $0.rejected.append(n) }
        }
        func cancel() async {}
    }

    enum TestError: Error { case publishRefused }
}
