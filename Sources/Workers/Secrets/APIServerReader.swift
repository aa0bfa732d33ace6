import AsyncHTTPClient
import Foundation
import NIOCore

/// Reads from the API server the way a worker may: GETs and label-selected lists with the
/// worker's bearer token. Workers never write, so this is all they need from it.
public struct APIServerReader: Sendable {
    public let baseURL: String
    let bearerToken: String?
    let client: HTTPClient

    /// - Parameters:
    ///   - baseURL: the API server, e.g. `http://127.0.0.1:8080`.
    ///   - bearerToken: sent as `Authorization: Bearer …` when the API server requires it.
    public init(baseURL: String, bearerToken: String? = nil, client: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.bearerToken = bearerToken
        self.client = client
    }

    /// `GET /apis/herald.dev/v1alpha1/namespaces/{namespace}/{plural}/{name}`: the status code and body.
    public func get(namespace: String, plural: String, name: String) async throws -> (status: Int, body: ByteBuffer) {
        try await fetch(
            "/apis/herald.dev/v1alpha1/namespaces/\(Self.escape(namespace))/\(plural)/\(Self.escape(name))", timeout: .seconds(5),
            upTo: 4 << 20)
    }

    /// `GET /apis/herald.dev/v1alpha1/namespaces/{namespace}/{plural}?labelSelector=…&limit=…`: the
    /// status code and the body (a list; its `metadata.continue` is set when more matched).
    public func list(namespace: String, plural: String, labelSelector: String, limit: Int) async throws -> (
        status: Int, body: ByteBuffer
    ) {
        let query = PercentEncoding.escape(labelSelector)
        return try await fetch(
            "/apis/herald.dev/v1alpha1/namespaces/\(Self.escape(namespace))/\(plural)?labelSelector=\(query)&limit=\(limit)",
            timeout: .seconds(10), upTo: 64 << 20)
    }

    private func fetch(_ path: String, timeout: TimeAmount, upTo limit: Int) async throws -> (status: Int, body: ByteBuffer) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Accept", value: "application/json")
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        let response = try await client.execute(request, timeout: timeout)
        return (Int(response.status.code), try await response.body.collect(upTo: limit))
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }
}
