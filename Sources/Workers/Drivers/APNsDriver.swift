import AsyncHTTPClient
import Crypto
import Foundation
import HeraldAPI
import NIOCore
import Synchronization

/// Apple Push Notification service over HTTP/2 with a token-based (ES256) provider token.
///
/// Settings: `spec.apns.teamID`, `keyID`, `topic` (bundle id), `keySecretRef` (key `key.p8`:
/// the .p8 file's PEM), optional `endpoint` (default production; use
/// https://api.sandbox.push.apple.com for development builds). The provider token is reused
/// for 50 minutes: Apple rejects tokens older than an hour and throttles fresher renewals.
/// 410 `Unregistered` means the token is gone: permanent, and reported stale.
public struct APNsDriver: ChannelDriver {
    public let channelType = "apns"
    private let client: HTTPClient
    private let tokens: ProviderTokenCache

    public init(client: HTTPClient, tokens: ProviderTokenCache = ProviderTokenCache()) {
        self.client = client
        self.tokens = tokens
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let deviceToken = try context.requiredAddress("deviceToken", what: "APNs device token")
        let teamID = try context.requiredSetting("teamID")
        let keyID = try context.requiredSetting("keyID")
        let topic = try context.requiredSetting("topic")
        let endpoint = (context.setting("endpoint") ?? "https://api.push.apple.com").trimmingSuffix("/")
        let now = context.clock.date()
        let pem = try await context.secretString("keySecretRef", defaultKey: "key.p8")
        let bearer = try tokens.token(teamID: teamID, keyID: keyID, pem: pem, now: now)

        var alert: JSONObject = [:]
        if let t = message.title { alert["title"] = .string(t) }
        if let b = message.body ?? message.text { alert["body"] = .string(b) }
        var payload: JSONObject = message.data?.objectValue ?? [:]
        payload["aps"] = ["alert": .object(alert)]

        var request = HTTPClientRequest(url: "\(endpoint)/3/device/\(deviceToken)")
        request.method = .POST
        request.headers.add(name: "authorization", value: "bearer \(bearer)")
        request.headers.add(name: "apns-topic", value: topic)
        request.headers.add(name: "apns-push-type", value: "alert")
        request.headers.add(name: "apns-priority", value: context.job.priority == .low ? "1" : (context.job.priority == .high ? "10" : "5"))
        request.headers.add(name: "apns-expiration", value: String(Int64(context.job.deadline?.timeIntervalSince1970 ?? 0)))
        request.headers.add(name: "apns-id", value: Self.uuid(from: context.job.idempotencyKey))
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: JSON.object(payload).serialized()))

        let r = try await ProviderHTTP.perform(client, request, timeout: context.timeout, provider: "APNs")
        if r.status == 200 {
            return SendReceipt(providerMessageID: r.headers.first(name: "apns-id"), message: "APNs accepted the notification")
        }
        let reason = r.json?["reason"]?.stringValue
        if r.status == 403, reason == "ExpiredProviderToken" || reason == "InvalidProviderToken" {
            tokens.invalidate(teamID: teamID, keyID: keyID)
        }
        throw Self.failure(r, reason: reason, token: deviceToken, now: now)
    }

    static func failure(_ r: ProviderHTTP.Response, reason: String?, token: String, now: Date) -> DeliveryError {
        if r.status == 410 {
            return .permanent(
                "Unregistered",
                "APNs says the device token is no longer active for the topic (\(reason ?? "Unregistered")); it is marked stale on the Recipient",
                stale: StaleAddress(channelType: "apns", kind: "deviceToken", value: token, reason: reason ?? "Unregistered"))
        }
        var e = ProviderHTTP.failure(r, provider: "APNs", now: now, detail: reason)
        if reason == "ExpiredProviderToken" {
            e = .transient(
                "ExpiredProviderToken", "APNs found the provider token expired; a new one is made for the next attempt",
                providerFailure: false)
        } else if let reason {
            e.code = "APNs" + reason
        }
        return e
    }

    /// `apns-id` must be a UUID; deriving it from the idempotency key makes repeats share it.
    static func uuid(from key: String) -> String {
        var b = Array(SHA256.hash(data: Array(key.utf8)).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x50  // version 5 layout (name-based, SHA)
        b[8] = (b[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = b.map { String(format: "%02X", $0) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

/// APNs provider tokens by team and key, reused for 50 minutes.
public final class ProviderTokenCache: Sendable {
    private let entries = Mutex<[String: (token: String, issued: Date)]>([:])
    private let lifetime: Double

    public init(lifetime: Double = 50 * 60) {
        self.lifetime = lifetime
    }

    func token(teamID: String, keyID: String, pem: String, now: Date) throws(DeliveryError) -> String {
        let key = teamID + "|" + keyID
        if let hit = entries.withLock({ $0[key] }), now.timeIntervalSince(hit.issued) < lifetime { return hit.token }
        let signingKey = try JWT.p256PrivateKey(pem, what: "the APNs key (.p8)")
        let token = try JWT.es256(
            header: ["alg": "ES256", "kid": .string(keyID)],
            claims: ["iss": .string(teamID), "iat": .int(Int64(now.timeIntervalSince1970))],
            key: signingKey)
        entries.withLock { $0[key] = (token, now) }
        return token
    }

    func invalidate(teamID: String, keyID: String) {
        _ = entries.withLock { $0.removeValue(forKey: teamID + "|" + keyID) }
    }
}
