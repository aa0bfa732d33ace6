import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore
import NIOHTTP1

/// POSTs JSON to `spec.webhook.url` (or the recipient's `address.webhook`), signed with
/// Standard Webhooks when `signingSecretRef` is set. The body is the template's webhook part,
/// or a default envelope when the template has none.
///
/// Headers: `Idempotency-Key` (the same for every attempt of a round, so receivers can drop
/// repeats), `X-Correlation-ID`, `webhook-id` (= the idempotency key, as Standard Webhooks
/// asks for a stable id across retries), `webhook-timestamp`, `webhook-signature`, and the
/// Channel's `headers`.
public struct WebhookDriver: ChannelDriver {
    public let channelType = "webhook"
    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let job = context.job
        guard let url = Self.url(context) else {
            throw .configuration(
                "Channel \(job.namespace)/\(job.channel.name) has no spec.webhook.url and the recipient no webhook address; set one")
        }
        let body = try Self.body(message, job: job)

        var request = HTTPClientRequest(url: url)
        request.method = .POST
        // Room for the usual eight (AsyncHTTPClient adds Host and Content-Length): each growth of
        // the header list was an allocation per webhook.
        request.headers.reserveCapacity(10)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Herald")
        for (name, value) in (context.settings["headers"]?.stringMap ?? [:]).sorted(by: { $0.key < $1.key }) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        request.headers.replaceOrAdd(name: "Idempotency-Key", value: job.idempotencyKey)
        request.headers.replaceOrAdd(name: "X-Correlation-ID", value: job.correlationID)
        if context.settings["signingSecretRef"] != nil {
            let signer = try StandardWebhookSigner.cached(secret: try await context.secretString("signingSecretRef", defaultKey: "secret"))
            let timestamp = Int(context.clock.date().timeIntervalSince1970)
            for (name, value) in signer.headers(id: job.idempotencyKey, timestamp: timestamp, body: body) {
                request.headers.replaceOrAdd(name: name, value: value)
            }
        }
        request.body = .bytes(ByteBuffer(bytes: body))

        let response = try await ProviderHTTP.perform(
            client, request, timeout: context.timeout, provider: "the webhook at \(Self.redacted(url))")
        guard (200..<300).contains(response.status) else {
            throw ProviderHTTP.failure(
                response, provider: "the webhook", now: context.clock.date(), detail: ProviderHTTP.excerpt(response.body))
        }
        return SendReceipt(
            providerMessageID: response.headers.first(name: "X-Message-ID") ?? response.headers.first(name: "webhook-id"),
            message: "HTTP \(response.status)")
    }

    static func url(_ context: DeliveryContext) -> String? {
        if let override = context.address("webhook") { return override }
        if let nested = context.job.recipient.address["webhook"]?["url"]?.stringValue, !nested.isEmpty { return nested }
        return context.setting("url")
    }

    /// The template's webhook body (which must be JSON), or the default envelope carrying
    /// whichever other part the template has.
    static func body(_ message: RenderedMessage, job: DeliveryJob) throws(DeliveryError) -> [UInt8] {
        if message.part == "webhook", let rendered = message.body {
            let bytes = Array(rendered.utf8)
            do { _ = try JSON.parse(bytes) } catch {
                throw .permanent(
                    "WebhookBodyNotJSON", "the rendered webhook body is not JSON (\(error)); fix the Template's webhook.body",
                    providerAnswered: false)
            }
            return bytes
        }
        var envelope: JSONObject = [
            "type": "herald.notification", "namespace": .string(job.namespace), "notification": .string(job.notification),
            "delivery": .string(job.delivery), "deliveryUID": .string(job.deliveryUID),
            "idempotencyKey": .string(job.idempotencyKey), "correlationID": .string(job.correlationID),
            "priority": .string(job.priority.rawValue), "variables": job.variables,
        ]
        if let name = job.recipient.name { envelope["recipient"] = ["name": .string(name)] }
        if !message.part.isEmpty { envelope["message"] = message.json }
        return JSON.object(envelope).serialized()
    }

    /// URLs can carry tokens (Slack, Discord, signed query strings): log scheme, host and path only.
    static func redacted(_ url: String) -> String {
        guard let c = URLComponents(string: url), let host = c.host else { return "<invalid url>" }
        return
            "\(c.scheme ?? "https")://\(host)\(c.port.map { ":\($0)" } ?? "")\(c.path.count > 24 ? String(c.path.prefix(24)) + "…" : c.path)"
    }
}
