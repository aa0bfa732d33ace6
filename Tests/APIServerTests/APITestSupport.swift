import APIServer
import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Store
import Testing
import Workers

/// A server on a fresh SQLite store, driven through Hummingbird's in-process test client.
struct TestAPI {
    let store: SQLiteStore
    let server: APIServer
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir.appendingPathComponent("s.sqlite").path)
        // The Mustache renderer, as `herald` wires it: Template syntax checks and render previews.
        server = APIServer(store: store, templateEngine: MustacheTemplateEngine(), logger: Logger(label: "test"))
    }

    func run(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try await server.application().test(.router, body)
    }
}

struct Reply {
    var status: Int
    var headers: HTTPFields
    var body: [UInt8]
    var json: JSON? { try? JSON.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension TestClientProtocol {
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil,
        contentType: String = "application/json", accept: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [.contentType: contentType]
        if let accept { headers[.accept] = accept }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
            Reply(status: Int(r.status.code), headers: r.headers, body: Array(r.body.readableBytesView))
        }
    }
}

let notifications = "/apis/herald.dev/v1alpha1/namespaces/default/notifications"

func notificationJSON(_ name: String, subject: String = "hi", extraSpec: String = "") -> String {
    """
    {"apiVersion":"herald.dev/v1alpha1","kind":"Notification","metadata":{"name":"\(name)","labels":{"app":"demo"}},
     "spec":{"message":{"subject":"\(subject)","text":"t"},"to":[{"address":{"email":"a@example.com"}}],"channels":["log"]\(extraSpec)}}
    """
}
