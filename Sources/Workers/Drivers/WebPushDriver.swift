import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore

/// Web Push (RFC 8030) with RFC 8291 payload encryption and RFC 8292 VAPID.
///
/// The payload is the rendered push part as JSON (`{"title", "body", "data"}`), which a
/// service worker reads with `event.data.json()`. Settings: `spec.webpush.subject` (mailto: or
/// https: contact for the push service) and `vapidSecretRef` (key `privateKey`: PEM or
/// base64url raw P-256). `TTL` follows the job's deadline (4 weeks without one), `Urgency` its
/// priority. 404 and 410 mean the subscription is gone: permanent, and reported stale.
public struct WebPushDriver: ChannelDriver {
    public let channelType = "webpush"
    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let sub = try Self.subscription(context)
        let subject = try context.requiredSetting("subject")
        let key = try JWT.p256PrivateKey(
            try await context.secretString("vapidSecretRef", defaultKey: "privateKey"), what: "the VAPID privateKey")
        let now = context.clock.date()

        var payload: JSONObject = [:]
        if let t = message.title { payload["title"] = .string(t) }
        if let b = message.body ?? message.text { payload["body"] = .string(b) }
        if let d = message.data { payload["data"] = d }
        let body: [UInt8]
        do {
            body = try WebPushEncryption.encrypt(JSON.object(payload).serialized(), p256dh: sub.p256dh, auth: sub.auth)
        } catch {
            throw .permanent("WebPushEncryptionFailed", "cannot encrypt for this subscription: \(error)", providerAnswered: false)
        }

        var request = HTTPClientRequest(url: sub.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Content-Encoding", value: "aes128gcm")
        request.headers.add(name: "TTL", value: String(Self.ttl(deadline: context.job.deadline, now: now)))
        request.headers.add(name: "Urgency", value: Self.urgency(context.job.priority))
        request.headers.add(
            name: "Authorization", value: try VAPID(key: key, subject: subject).authorization(endpoint: sub.endpoint, now: now))
        request.body = .bytes(ByteBuffer(bytes: body))

        let r = try await ProviderHTTP.perform(client, request, timeout: context.timeout, provider: "the push service")
        switch r.status {
        case 200..<300:
            return SendReceipt(providerMessageID: r.headers.first(name: "Location"), message: "push service answered HTTP \(r.status)")
        case 404, 410:
            throw .permanent(
                "SubscriptionGone",
                "the push service says the subscription no longer exists (HTTP \(r.status)); it is marked stale on the Recipient",
                stale: StaleAddress(channelType: "webpush", kind: "webPushEndpoint", value: sub.endpoint, reason: "HTTP\(r.status)"))
        default:
            throw ProviderHTTP.failure(r, provider: "the push service", now: now, detail: ProviderHTTP.excerpt(r.body, limit: 120))
        }
    }

    struct Subscription {
        var endpoint: String
        var p256dh: [UInt8]
        var auth: [UInt8]
    }

    static func subscription(_ context: DeliveryContext) throws(DeliveryError) -> Subscription {
        let a = context.job.recipient.address
        let s = a["webPush"].flatMap { $0.arrayValue?.first ?? $0 } ?? a
        guard let endpoint = s["endpoint"]?.stringValue, let p = s["keys"]?["p256dh"]?.stringValue,
            let au = s["keys"]?["auth"]?.stringValue
        else {
            throw .permanent(
                "AddressMissing", "the recipient has no web push subscription (recipient.address.webPush with endpoint and keys); add one",
                providerAnswered: false)
        }
        guard let p256dh = JWT.base64URLDecode(p), p256dh.count == 65, let auth = JWT.base64URLDecode(au), auth.count == 16 else {
            throw .permanent(
                "InvalidSubscription", "the web push subscription's keys are malformed (p256dh must be 65 bytes, auth 16, base64url)",
                stale: StaleAddress(channelType: "webpush", kind: "webPushEndpoint", value: endpoint, reason: "InvalidKeys"),
                providerAnswered: false)
        }
        return Subscription(endpoint: endpoint, p256dh: p256dh, auth: auth)
    }

    /// Seconds the push service may hold the message: until the deadline, else 4 weeks.
    static func ttl(deadline: Date?, now: Date) -> Int {
        guard let deadline else { return 2_419_200 }
        return max(0, Int(deadline.timeIntervalSince(now)))
    }

    static func urgency(_ p: DeliveryPriority) -> String {
        switch p {
        case .low: return "low"
        case .normal: return "normal"
        case .high: return "high"
        }
    }
}
