import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore

/// Twilio SMS through the Messages API: a form POST to
/// `{endpoint}/2010-04-01/Accounts/{accountSID}/Messages.json` with `To`, `From`, `Body`,
/// authenticated with HTTP basic auth (account SID, auth token from `authSecretRef` key
/// `authToken`).
public struct TwilioDriver: ChannelDriver {
    public let channelType = "twilio"
    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let sid = try context.requiredSetting("accountSID")
        let from = try context.requiredSetting("from")
        let endpoint = (context.setting("endpoint") ?? "https://api.twilio.com").trimmingSuffix("/")
        let to = try context.requiredAddress("phone", what: "phone number")
        let token = try await context.secretString("authSecretRef", defaultKey: "authToken")

        let form = Self.formEncode([("To", to), ("From", from), ("Body", message.text ?? message.body ?? "")])
        var request = HTTPClientRequest(url: "\(endpoint)/2010-04-01/Accounts/\(sid)/Messages.json")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Authorization", value: "Basic " + Base64.encode(Array("\(sid):\(token)".utf8)))
        request.headers.add(name: "I-Twilio-Idempotency-Token", value: context.job.idempotencyKey)
        request.headers.add(name: "X-Correlation-ID", value: context.job.correlationID)
        request.body = .bytes(ByteBuffer(string: form))

        let r = try await ProviderHTTP.perform(client, request, timeout: context.timeout, provider: "Twilio")
        guard (200..<300).contains(r.status) else {
            // Twilio's JSON error names a code (21211 invalid number, 21610 unsubscribed…).
            let json = r.json
            var e = ProviderHTTP.failure(r, provider: "Twilio", now: context.clock.date(), detail: json?["message"]?.stringValue)
            if let code = json?["code"]?.intValue { e.code = "Twilio\(code)" }
            throw e
        }
        return SendReceipt(
            providerMessageID: r.json?["sid"]?.stringValue, message: "Twilio status \(r.json?["status"]?.stringValue ?? "accepted")")
    }

    /// application/x-www-form-urlencoded, escaping everything but unreserved characters.
    static func formEncode(_ pairs: [(String, String)]) -> String {
        pairs.map { PercentEncoding.escape($0.0) + "=" + PercentEncoding.escape($0.1) }.joined(separator: "&")
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
