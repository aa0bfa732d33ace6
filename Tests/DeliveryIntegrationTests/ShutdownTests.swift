import Foundation
import Testing

/// SIGTERM must end every role promptly, whatever it is waiting for (Kubernetes would otherwise
/// SIGKILL the pod at the end of its grace period): `herald worker` and `herald controller` whose
/// RabbitMQ cannot be reached (nothing listens on port 1) wait to declare the topology; an API
/// server holds open watches.
@Suite("Herald roles shut down promptly on SIGTERM", .timeLimit(.minutes(2)))
struct ShutdownTests {
    static let unreachableBroker = "amqp://guest:guest@127.0.0.1:1/"

    @Test func workerExitsOnSIGTERM() async throws {
        let processes = try HeraldProcesses("shutdown-worker")
        let worker = try processes.worker(broker: Self.unreachableBroker, server: "http://127.0.0.1:1")
        try await expectPromptExitOnSIGTERM(worker, processes)
    }

    @Test(.enabled(if: IntegrationEnvironment.hasPostgres, IntegrationEnvironment.postgresMissing))
    func controllerExitsOnSIGTERM() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        let processes = try HeraldProcesses("shutdown-controller")
        let controller = try processes.controller(store: store, broker: Self.unreachableBroker)
        try await expectPromptExitOnSIGTERM(controller, processes)
    }

    /// A watch is a response that never ends by itself: SIGTERM must still end it (with the lines
    /// already queued) and let the server exit promptly.
    @Test(.enabled(if: IntegrationEnvironment.hasPostgres, IntegrationEnvironment.postgresMissing))
    func apiServerWithAnOpenWatchExitsOnSIGTERM() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        let processes = try HeraldProcesses("shutdown-apiserver")
        let (server, client) = try await processes.apiserver(store: store)
        defer { Task { await client.shutdown() } }
        do {
            let port = try await server.waitForListeningPort()
            let watch = try RawHTTPStream(
                port: port, path: "/apis/herald.dev/v1alpha1/namespaces/default/notifications?watch=true")
            #expect(try watch.readHead().hasPrefix("HTTP/1.1 200"))
            let signalled = ContinuousClock.now
            await server.stop(grace: 5)
            let elapsed = ContinuousClock.now - signalled
            #expect(
                server.exitStatus == 0,
                "the API server did not exit cleanly on SIGTERM (\(String(describing: server.exitStatus)), \(elapsed))")
            #expect(elapsed < .seconds(5), "the API server took \(elapsed) to exit after SIGTERM")
            #expect(watch.readsToEnd(timeout: 5), "the watch response did not end")
        } catch {
            await processes.stopAll()
            throw IntegrationFailure("\(error)\n\(processes.logs)")
        }
        await processes.stopAll()
        try? FileManager.default.removeItem(at: processes.directory)
    }

    /// Waits until `process` is retrying its broker connection, sends SIGTERM and expects a clean
    /// exit within 5 s (`stop` sends SIGKILL after that, which the exit status then shows).
    private func expectPromptExitOnSIGTERM(_ process: ChildProcess, _ processes: HeraldProcesses) async throws {
        do {
            try await process.waitForLog("cannot connect to RabbitMQ", timeout: 60)
            // Settled in the declare-and-retry wait.
            try await Task.sleep(for: .seconds(1))
            #expect(process.isRunning)
            let signalled = ContinuousClock.now
            await process.stop(grace: 5)
            let elapsed = ContinuousClock.now - signalled
            #expect(
                process.exitStatus == 0,
                "\(process.name) did not exit cleanly on SIGTERM (status \(String(describing: process.exitStatus)), \(elapsed)):\n\(processes.logs)"
            )
            #expect(elapsed < .seconds(5), "\(process.name) took \(elapsed) to exit after SIGTERM")
        } catch {
            await processes.stopAll()
            throw IntegrationFailure("\(error)\n\(processes.logs)")
        }
        await processes.stopAll()
        try? FileManager.default.removeItem(at: processes.directory)
    }
}

/// One HTTP/1.1 GET on a plain socket, read as it streams: enough to hold a watch open and see
/// whether the server ends it.
final class RawHTTPStream {
    private let fd: Int32

    init(port: Int, path: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IntegrationFailure("socket() failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw IntegrationFailure("cannot connect to 127.0.0.1:\(port): \(errno)")
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else {
            close(fd)
            throw IntegrationFailure("cannot send the request: \(errno)")
        }
    }

    deinit { close(fd) }

    /// The response's status line and headers.
    func readHead(timeout: Double = 10) throws -> String {
        var head: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let chunk = read(timeout: deadline.timeIntervalSinceNow), !chunk.isEmpty else { break }
            head += chunk
            if let text = String(bytes: head, encoding: .utf8), text.contains("\r\n\r\n") { return text }
        }
        throw IntegrationFailure("no response head within \(timeout)s: \(String(decoding: head, as: UTF8.self))")
    }

    /// Whether the server closes the stream within `timeout` seconds.
    func readsToEnd(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let chunk = read(timeout: deadline.timeIntervalSinceNow) else { return false }
            if chunk.isEmpty { return true }
        }
        return false
    }

    /// Bytes received, [] at the end of the stream, nil when nothing came within `timeout`.
    private func read(timeout: Double) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(max(0, timeout) * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n <= 0 ? [] : Array(buffer[..<n])
    }
}
