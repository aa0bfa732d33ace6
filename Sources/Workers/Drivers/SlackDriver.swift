import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore

/// Slack incoming webhooks: the URL is itself the credential, so it lives in a Secret
/// (`spec.slack.urlSecretRef`), and the body is `{"text": <chat text>}`.
public struct SlackDriver: ChannelDriver {
    public let channelType = "slack"
    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let url = try await context.secretString("urlSecretRef", defaultKey: "url").trimmingCharacters(in: .whitespacesAndNewlines)
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw .configuration("the Slack webhook URL in the Secret is not an http(s) URL; fix the Secret")
        }
        var payload: JSONObject = ["text": .string(message.text ?? message.body ?? "")]
        if let data = message.data { payload["metadata"] = data }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Correlation-ID", value: context.job.correlationID)
        request.body = .bytes(ByteBuffer(bytes: JSON.object(payload).serialized()))

        // The URL holds the token: messages name Slack, never the URL.
        let r = try await ProviderHTTP.perform(client, request, timeout: context.timeout, provider: "Slack")
        guard (200..<300).contains(r.status) else {
            // Slack explains refusals in a plain-text body (invalid_payload, channel_not_found…).
            throw ProviderHTTP.failure(r, provider: "Slack", now: context.clock.date(), detail: ProviderHTTP.excerpt(r.body, limit: 80))
        }
        return SendReceipt(providerMessageID: nil, message: "Slack answered \(ProviderHTTP.excerpt(r.body, limit: 40))")
    }
}
