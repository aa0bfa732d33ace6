import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// A local webhook endpoint: answers what the test scripts, and records every request in
/// arrival order with its `Idempotency-Key` and body.
final class WebhookSink: Sendable {
    struct Request: Sendable {
        var key: String
        /// The URL's query: recipients with a webhook URL of their own say who they are there,
        /// independently of the Idempotency-Key.
        var recipient: String
        var body: String
        var at: Date
    }

    struct Answer: Sendable {
        var status: Int
        var retryAfter: String?
        static let ok = Answer(status: 200)
        init(status: Int, retryAfter: String? = nil) {
            self.status = status
            self.retryAfter = retryAfter
        }
    }

    /// Decides the answer from the request and how many requests came before it.
    typealias Script = @Sendable (_ request: Request, _ index: Int) -> Answer

    private static let idempotencyKey = HTTPField.Name("Idempotency-Key")
    private let script: Script
    private let delay: Duration
    private let recorded = LockedValue<[Request]>([])
    private let port = LockedValue<Int>(0)
    private let task = LockedValue<Task<Void, any Error>?>(nil)

    /// - Parameter delay: how long each answer takes, to keep a run going long enough to
    ///   interrupt it in the middle.
    init(delay: Duration = .zero, _ script: @escaping Script = { _, _ in .ok }) {
        self.delay = delay
        self.script = script
    }

    /// Answers the statuses in order, the last one repeating.
    convenience init(sequence: [Answer]) {
        self.init { _, index in sequence[min(index, sequence.count - 1)] }
    }

    var url: String { "http://127.0.0.1:\(port.withLock { $0 })/hook" }
    var requests: [Request] { recorded.withLock { $0 } }
    var count: Int { recorded.withLock { $0.count } }

    func start() async throws {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let key = Self.idempotencyKey.flatMap { request.headers[$0] } ?? ""
            let body = try await request.body.collect(upTo: 1 << 20)
            let answer = self.record(key: key, recipient: request.uri.query ?? "", body: String(buffer: body))
            if self.delay > .zero { try await Task.sleep(for: self.delay) }
            var headers = HTTPFields()
            if let retryAfter = answer.retryAfter { headers[.retryAfter] = retryAfter }
            return Response(status: .init(code: answer.status), headers: headers)
        }
        var logger = Logger(label: "itest.sink")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port ?? 0 } },
            logger: logger)
        task.withLock { $0 = Task { try await app.runService() } }
        _ = try await eventually("the webhook sink to listen", timeout: 20, interval: .milliseconds(10)) {
            port.withLock { $0 }
        } until: {
            $0 > 0
        }
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = await running?.result
    }

    private func record(key: String, recipient: String, body: String) -> Answer {
        let (request, index) = recorded.withLock { all -> (Request, Int) in
            let request = Request(key: key, recipient: recipient, body: body, at: Date())
            all.append(request)
            return (request, all.count - 1)
        }
        return script(request, index)
    }
}
