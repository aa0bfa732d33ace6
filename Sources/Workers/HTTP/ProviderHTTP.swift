import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP exchange with a provider and the classification every HTTP driver shares.
struct ProviderHTTP {
    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]

        var bodyText: String { String(decoding: body, as: UTF8.self) }
        var json: JSON? { try? JSON.parse(body) }
    }

    /// Provider answers are small; anything bigger is cut, not buffered without end.
    static let maxBody = 256 * 1024

    /// Sends and reads the whole (bounded) response; transport failures become transient
    /// `DeliveryError`s (`Timeout`, `ConnectionFailed`, `TLSError`, `HTTPError`). `provider`
    /// names the other end in those errors and is built only for one (a webhook's redacted URL
    /// costs a URL parse per send otherwise).
    static func perform(
        _ client: HTTPClient, _ request: HTTPClientRequest, timeout: Double, provider: @autoclosure () -> String
    ) async throws(DeliveryError) -> Response {
        do {
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(Int64(timeout * 1e9)))
            var buffer = try await response.body.collect(upTo: maxBody)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return Response(status: Int(response.status.code), headers: response.headers, body: bytes)
        } catch {
            throw transportError(error, provider: provider(), timeout: timeout)
        }
    }

    static func transportError(_ error: any Error, provider: String, timeout: Double) -> DeliveryError {
        let text = String(describing: error)
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return .transient(
                    "Timeout",
                    "\(provider) did not answer within \(Self.seconds(timeout)); the delivery will be retried (raise the Channel's timeout if this is normal)"
                )
            case .bodyLengthMismatch, .remoteConnectionClosed:
                return .transient("ConnectionClosed", "\(provider) closed the connection early; the delivery will be retried")
            default: break
            }
        }
        if error is NIOConnectionError || text.contains("connectTimeout") || text.contains("Connection refused")
            || text.contains("connect(descriptor")
        {
            return .transient("ConnectionFailed", "cannot connect to \(provider) (\(text)); the delivery will be retried")
        }
        if text.contains("SSL") || text.contains("TLS") || text.contains("certificate") || text.contains("handshake") {
            return .transient("TLSError", "TLS with \(provider) failed (\(text)); check the endpoint's certificate")
        }
        return .transient("HTTPError", "request to \(provider) failed (\(text)); the delivery will be retried")
    }

    /// The standard classification of a non-2xx answer; drivers with richer provider errors
    /// look at the body first and fall back to this.
    static func failure(_ r: Response, provider: String, now: Date, detail: String? = nil) -> DeliveryError {
        let outcome = HTTPClassification.outcome(status: r.status)
        let retryAfter = RetryAfter.seconds(r.headers.first(name: "Retry-After"), now: now)
        var message = "\(provider) answered HTTP \(r.status)"
        if let detail, !detail.isEmpty { message += " (\(detail))" }
        message += "; " + HTTPClassification.advice(status: r.status)
        return DeliveryError(
            outcome: outcome == .delivered ? .permanent : outcome, code: HTTPClassification.code(status: r.status),
            message: message, retryAfter: retryAfter, breakerSignal: outcome == .transient ? .providerFailed : .providerAnswered)
    }

    /// A short, single-line excerpt of a provider's error body for messages.
    static func excerpt(_ body: [UInt8], limit: Int = 200) -> String {
        let text = String(decoding: body.prefix(limit * 2), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    static func seconds(_ s: Double) -> String {
        s >= 1 ? "\(Int(s.rounded()))s" : "\(Int((s * 1000).rounded()))ms"
    }

    /// An HTTP client configured the way providers should be called: no redirects (a moved
    /// endpoint is a configuration error to fix, not to follow), HTTP/2 when offered, and
    /// optionally extra PEM trust roots (private CAs, test peers) on top of the system's.
    static func makeClient(trustRootsPEMFile: String? = nil, maxConnectionsPerHost: Int = 16) -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.httpVersion = .automatic
        if let trustRootsPEMFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(trustRootsPEMFile)]
            config.tlsConfiguration = tls
        }
        config.connectionPool = .init(idleTimeout: .seconds(60))
        // Herald bootstraps no tracer, so every request would open and close a no-op span (with
        // its attributes and task-local context) for nothing.
        config.tracing.tracer = nil
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerHost
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }
}
