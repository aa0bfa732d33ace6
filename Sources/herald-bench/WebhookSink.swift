import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What the sink has seen, by idempotency key, so a run can tell first attempts from repeats.
final class SinkLedger: Sendable {
    private struct State {
        var requests = 0
        var seen = Set<String>()
    }
    private let state = Mutex(State())
    let failFirst: Bool

    init(failFirst: Bool) { self.failFirst = failFirst }

    /// Records a request; true when it is the first one carrying `key`.
    func record(key: String?) -> Bool {
        state.withLock { s in
            s.requests += 1
            guard let key else { return true }
            return s.seen.insert(key).inserted
        }
    }

    var json: String {
        state.withLock { s in "{\"requests\":\(s.requests),\"distinct\":\(s.seen.count)}" }
    }
}

/// A minimal HTTP/1.1 webhook receiver: 200 to everything (or 503 to the first request of each
/// idempotency key), `GET /stats` for what it saw. Small on purpose, so a benchmark measures the
/// sender and not a slow receiver.
final class SinkHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let ledger: SinkLedger
    private var keepAlive = true
    private var statsRequest = false
    private var key: String?

    init(ledger: SinkLedger) { self.ledger = ledger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            statsRequest = head.method == .GET && head.uri == "/stats"
            key = head.headers.first(name: "Idempotency-Key")
        case .body:
            break
        case .end:
            let status: HTTPResponseStatus
            let body: String
            if statsRequest {
                (status, body) = (.ok, ledger.json)
            } else if ledger.record(key: key) && ledger.failFirst {
                (status, body) = (.serviceUnavailable, "{\"ok\":false}")
            } else {
                (status, body) = (.ok, "{\"ok\":true}")
            }
            let buffer = ByteBuffer(string: body)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let keep = keepAlive
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keep { channel.close(promise: nil) }
            }
        }
    }
}

/// `herald-bench sink`: the receiver, run as its own process so its CPU is counted apart.
struct SinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink", abstract: "A local webhook receiver (prints its port).", shouldDisplay: false)

    @Flag(help: "Answer 503 to the first request of each Idempotency-Key.") var failFirst = false

    func run() throws {
        let ledger = SinkLedger(failFirst: failFirst)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SinkHandler(ledger: ledger))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        // FileHandle writes unbuffered, so the parent sees the port at once.
        FileHandle.standardOutput.write(Data("PORT \(channel.localAddress?.port ?? 0)\n".utf8))
        try channel.closeFuture.wait()
    }
}

/// A sink child process.
final class SinkProcess {
    let process = Process()
    let port: Int

    init(failFirst: Bool = false) throws {
        process.executableURL = HeraldProcess.sibling("herald-bench")
        process.arguments = ["sink"] + (failFirst ? ["--fail-first"] : [])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var line = ""
        while !line.hasSuffix("\n") {
            let d = pipe.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += String(decoding: d, as: UTF8.self)
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "PORT ", with: "")) else {
            process.terminate()
            throw BenchError("the webhook sink did not start")
        }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
