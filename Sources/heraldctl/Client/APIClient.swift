import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore
import NIOHTTP1

/// One HTTP answer, fully read.
struct APIResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var contentType: String { headers.first(name: "content-type") ?? "" }

    var isSuccess: Bool { (200..<300).contains(status) }

    func json() throws(CLIError) -> JSON {
        do {
            return try JSON.parse(body)
        } catch {
            throw .message("the server answered with a body that is not JSON: \(error.description)")
        }
    }
}

/// One line of a watch stream.
struct WatchEvent: Sendable {
    var type: String
    var object: JSON
}

/// How a watch ended, when it did not fail.
enum WatchEnd: Sendable {
    /// The server closed the stream (its `timeoutSeconds` elapsed, or it restarted).
    case closed
    /// The event handler asked to stop.
    case stopped
    /// The client-side deadline passed.
    case timedOut
}

/// The HTTP side of heraldctl: the same requests, headers and query parameters kubectl sends
/// (see docs/kube-api-contract.md), over AsyncHTTPClient.
final class APIClient: Sendable {
    static let tableAccept =
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    static let jsonAccept = "application/json"
    static let userAgent = "heraldctl/\(HeraldctlVersion.current) (linux/amd64)"

    /// `HERALDCTL_DEBUG=1` logs each request on stderr.
    static let debug = ProcessInfo.processInfo.environment["HERALDCTL_DEBUG"].map { !$0.isEmpty && $0 != "0" } ?? false

    let server: String
    let token: String?
    let requestTimeout: Double?
    private let http: HTTPClient

    init(server: String, token: String?, requestTimeout: Double?) {
        // A bare host:port means plain HTTP, the way Herald is usually run locally.
        var base = server.contains("://") ? server : "http://" + server
        while base.hasSuffix("/") { base.removeLast() }
        self.server = base
        self.token = token
        self.requestTimeout = requestTimeout
        var configuration = HTTPClient.Configuration()
        // A CLI should fail at once when nothing listens, as kubectl does, instead of retrying
        // the connection until the request deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// host:port, for messages.
    var hostPort: String {
        let afterScheme = server.split(separator: "://", maxSplits: 1).last.map(String.init) ?? server
        return afterScheme.split(separator: "/", maxSplits: 1).first.map(String.init) ?? afterScheme
    }

    func url(_ path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return server + path }
        let encoded = query.map { "\(URLEncoding.encode($0.0))=\(URLEncoding.encode($0.1))" }
        return server + path + "?" + encoded.joined(separator: "&")
    }

    func makeRequest(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], accept: String, contentType: String?,
        body: [UInt8]?
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(path, query: query))
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: APIClient.userAgent)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Sends a request and reads the whole answer, whatever its status.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], accept: String = jsonAccept,
        contentType: String? = nil, body: [UInt8]? = nil
    ) async throws(CLIError) -> APIResponse {
        let request = makeRequest(method, path, query: query, accept: accept, contentType: contentType, body: body)
        let timeout = TimeAmount.milliseconds(Int64((requestTimeout ?? 60) * 1000))
        if APIClient.debug {
            // Like kubectl -v=8: the request line and body, for seeing what is sent.
            Console.error("\(method.rawValue) \(request.url)")
            if let body { Console.error("Request Body: \(String(decoding: body, as: UTF8.self))") }
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
            let answer = APIResponse(
                status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
            APIClient.printWarnings(answer.headers)
            return answer
        } catch {
            throw transportError(error)
        }
    }

    /// Sends a request and decodes a successful JSON answer; a failed one becomes its Status error.
    func request(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], accept: String = jsonAccept,
        contentType: String? = nil, body: JSON? = nil
    ) async throws(CLIError) -> JSON {
        let response = try await send(
            method, path, query: query, accept: accept, contentType: contentType, body: body?.serialized())
        guard response.isSuccess else {
            throw .server(ServerStatus(httpStatus: response.status, body: response.body))
        }
        if response.body.isEmpty { return .emptyObject }
        return try response.json()
    }

    func get(_ path: String, query: [(String, String)] = [], accept: String = jsonAccept) async throws(CLIError) -> JSON {
        try await request(.GET, path, query: query, accept: accept)
    }

    /// GET that answers nil for 404 (apply and diff probe whether the object exists).
    func getIfExists(_ path: String) async throws(CLIError) -> JSON? {
        do throws(CLIError) {
            return try await get(path)
        } catch let error where error.isNotFound {
            return nil
        }
    }

    /// Streams a watch: one JSON object per line, handed to `onEvent` until it returns false,
    /// the server closes the stream, or `timeout` seconds pass.
    func watch(
        _ path: String, query: [(String, String)], accept: String = jsonAccept, timeout: Double?,
        onEvent: (WatchEvent) async throws(CLIError) -> Bool
    ) async throws(CLIError) -> WatchEnd {
        var query = query
        query.append(("watch", "true"))
        let limit = timeout ?? requestTimeout
        if let limit {
            // The server ends the stream on its own at this point; the client deadline below is
            // only a backstop for a server that does not.
            query.append(("timeoutSeconds", String(max(1, Int(limit.rounded(.up))))))
        }
        let request = makeRequest(.GET, path, query: query, accept: accept, contentType: nil, body: nil)
        let deadline: NIODeadline =
            limit.map { .now() + .milliseconds(Int64($0 * 1000) + 2000) } ?? .now() + .hours(24 * 365)
        var splitter = LineSplitter()
        do {
            let response = try await http.execute(request, deadline: deadline)
            guard response.status.code == 200 else {
                let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
                throw CLIError.server(ServerStatus(httpStatus: Int(response.status.code), body: Array(body.readableBytesView)))
            }
            APIClient.printWarnings(response.headers)
            for try await chunk in response.body {
                for line in splitter.feed(chunk.readableBytesView) {
                    guard let event = try APIClient.decodeEvent(line) else { continue }
                    if try await !onEvent(event) { return .stopped }
                }
            }
            if let line = splitter.flush(), let event = try APIClient.decodeEvent(line) {
                if try await !onEvent(event) { return .stopped }
            }
            return .closed
        } catch let error as CLIError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .timedOut
        } catch {
            throw transportError(error)
        }
    }

    static func decodeEvent(_ line: [UInt8]) throws(CLIError) -> WatchEvent? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let json: JSON
        do {
            json = try JSON.parse(line)
        } catch {
            throw .message("invalid watch event from the server: \(error.description)")
        }
        guard let type = json["type"]?.stringValue, let object = json["object"] else {
            throw .message("invalid watch event from the server: missing type or object")
        }
        if type == "ERROR" {
            let status = ServerStatus(httpStatus: Int(object["code"]?.intValue ?? 500), body: object.serialized())
            throw .server(status)
        }
        return WatchEvent(type: type, object: object)
    }

    /// `Warning: 299 - "text"` headers are shown the way kubectl shows them.
    static func printWarnings(_ headers: HTTPHeaders) {
        for value in headers[canonicalForm: "warning"] {
            Console.warning(WarningHeader.text(String(value)))
        }
    }

    func transportError(_ error: any Error) -> CLIError {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
                return .connection("Unable to connect to the server: request to \(server) timed out")
            }
            if error == .invalidURL || error == .emptyHost || error == .emptyScheme || error == .unsupportedScheme(server) {
                return .message("invalid server address \"\(server)\"")
            }
        }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") {
            return .connection(
                "The connection to the server \(hostPort) was refused - did you specify the right host or port?")
        }
        return .connection("Unable to connect to the server: \(text)")
    }
}
