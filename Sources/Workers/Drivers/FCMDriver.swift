import AsyncHTTPClient
import Foundation
import HeraldAPI
import NIOCore
import _CryptoExtras

/// Firebase Cloud Messaging HTTP v1. A service-account JWT (RS256) is exchanged at the token
/// endpoint for an OAuth access token, cached until shortly before it expires; messages go to
/// `{endpoint}/v1/projects/{project_id}/messages:send`.
///
/// Settings: `spec.fcm.serviceAccountSecretRef` (key `serviceAccount.json`: the JSON key file
/// Google issues), optional `endpoint` and `tokenEndpoint` overrides. `UNREGISTERED` means the
/// device token is gone: permanent, and reported stale.
public struct FCMDriver: ChannelDriver {
    public let channelType = "fcm"
    private let client: HTTPClient
    private let tokens: OAuthTokenCache

    public init(client: HTTPClient, tokens: OAuthTokenCache = OAuthTokenCache()) {
        self.client = client
        self.tokens = tokens
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let deviceToken = try context.requiredAddress("deviceToken", what: "FCM device token")
        let account = try ServiceAccount(json: try await context.secretString("serviceAccountSecretRef", defaultKey: "serviceAccount.json"))
        let endpoint = (context.setting("endpoint") ?? "https://fcm.googleapis.com").trimmingSuffix("/")
        let tokenEndpoint = context.setting("tokenEndpoint") ?? account.tokenURI ?? "https://oauth2.googleapis.com/token"
        let access = try await tokens.token(for: account, tokenEndpoint: tokenEndpoint, client: client, context: context)

        var notification: JSONObject = [:]
        if let t = message.title { notification["title"] = .string(t) }
        if let b = message.body ?? message.text { notification["body"] = .string(b) }
        var msg: JSONObject = [
            "token": .string(deviceToken), "notification": .object(notification),
            "android": ["priority": context.job.priority == .high ? "HIGH" : "NORMAL"],
            "apns": ["headers": ["apns-priority": context.job.priority == .high ? "10" : "5"]],
        ]
        if let data = message.data?.objectValue {
            // FCM data values must be strings.
            msg["data"] = .object(data.mapValues { v in v.stringValue.map(JSON.string) ?? .string(v.serializedString()) })
        }
        if let deadline = context.job.deadline {
            msg["android"]?["ttl"] = .string("\(max(0, Int(deadline.timeIntervalSince(context.clock.date()))))s")
        }

        var request = HTTPClientRequest(url: "\(endpoint)/v1/projects/\(account.projectID)/messages:send")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(access)")
        request.headers.add(name: "X-Correlation-ID", value: context.job.correlationID)
        request.body = .bytes(ByteBuffer(bytes: JSON.object(["message": .object(msg)]).serialized()))

        let r = try await ProviderHTTP.perform(client, request, timeout: context.timeout, provider: "FCM")
        if (200..<300).contains(r.status) {
            return SendReceipt(providerMessageID: r.json?["name"]?.stringValue, message: "FCM accepted the message")
        }
        if r.status == 401 { await tokens.invalidate(account: account, tokenEndpoint: tokenEndpoint) }
        throw Self.failure(r, token: deviceToken, now: context.clock.date())
    }

    /// FCM's `error.details[].errorCode` says more than the status.
    static func failure(_ r: ProviderHTTP.Response, token: String, now: Date) -> DeliveryError {
        let error = r.json?["error"]
        let errorCode =
            error?["details"]?.arrayValue?.lazy.compactMap { $0["errorCode"]?.stringValue }.first
            ?? error?["status"]?.stringValue
        let detail = error?["message"]?.stringValue
        var e = ProviderHTTP.failure(r, provider: "FCM", now: now, detail: detail)
        switch errorCode {
        case "UNREGISTERED":
            return .permanent(
                "Unregistered",
                "FCM says the device token is no longer registered (the app was uninstalled or the token rotated); it is marked stale on the Recipient",
                stale: StaleAddress(channelType: "fcm", kind: "deviceToken", value: token, reason: "UNREGISTERED"))
        case "SENDER_ID_MISMATCH":
            return .permanent(
                "SenderIdMismatch", "the device token belongs to another Firebase project; check the service account or the token")
        case "QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL":
            e.outcome = .transient
            e.breakerSignal = .providerFailed
        case "THIRD_PARTY_AUTH_ERROR":
            e.outcome = .permanent
            e.breakerSignal = .providerAnswered
        default: break
        }
        if r.status == 401 {
            e = .transient(
                "AccessTokenRejected", "FCM rejected the access token (HTTP 401); a new one will be fetched on the next attempt",
                providerFailure: false)
        }
        if let errorCode { e.code = "FCM" + errorCode.split(separator: "_").map { $0.prefix(1) + $0.dropFirst().lowercased() }.joined() }
        return e
    }
}

/// The fields Herald reads from a Google service-account key file.
public struct ServiceAccount: Sendable, Hashable {
    public var clientEmail: String
    public var privateKeyPEM: String
    public var privateKeyID: String?
    public var projectID: String
    public var tokenURI: String?

    public init(json text: String) throws(DeliveryError) {
        guard let j = try? JSON.parse(text), let email = j["client_email"]?.stringValue, let key = j["private_key"]?.stringValue,
            let project = j["project_id"]?.stringValue
        else {
            throw .configuration(
                "the FCM service account is not a Google service-account JSON key (needs client_email, private_key, project_id); fix the Secret"
            )
        }
        clientEmail = email
        privateKeyPEM = key
        privateKeyID = j["private_key_id"]?.stringValue
        projectID = project
        tokenURI = j["token_uri"]?.stringValue
    }
}

/// OAuth access tokens from service-account JWTs, cached until a minute before they expire.
/// One fetch serves every concurrent sender: waiters join the in-flight request.
public actor OAuthTokenCache {
    private enum Entry {
        case ready(token: String, expires: Date)
        case pending(Task<(String, Date), any Error>)
    }

    private var entries: [String: Entry] = [:]
    public static let scope = "https://www.googleapis.com/auth/firebase.messaging"

    public init() {}

    func token(for account: ServiceAccount, tokenEndpoint: String, client: HTTPClient, context: DeliveryContext) async throws(DeliveryError)
        -> String
    {
        let key = account.clientEmail + "|" + tokenEndpoint + "|" + (account.privateKeyID ?? "")
        let now = context.clock.date()
        switch entries[key] {
        case .ready(let token, let expires) where expires > now.addingTimeInterval(60):
            return token
        case .pending(let task):
            return try await Self.await(task)
        default:
            break
        }
        let timeout = context.timeout
        let task = Task<(String, Date), any Error> {
            try await Self.fetch(account: account, tokenEndpoint: tokenEndpoint, client: client, now: now, timeout: timeout)
        }
        entries[key] = .pending(task)
        do {
            let (token, expires) = try await Self.awaitPair(task)
            entries[key] = .ready(token: token, expires: expires)
            return token
        } catch {
            entries[key] = nil
            throw error
        }
    }

    func invalidate(account: ServiceAccount, tokenEndpoint: String) {
        entries[account.clientEmail + "|" + tokenEndpoint + "|" + (account.privateKeyID ?? "")] = nil
    }

    private static func await(_ task: Task<(String, Date), any Error>) async throws(DeliveryError) -> String {
        try await awaitPair(task).0
    }

    private static func awaitPair(_ task: Task<(String, Date), any Error>) async throws(DeliveryError) -> (String, Date) {
        do { return try await task.value } catch let e as DeliveryError { throw e } catch {
            throw .transient("TokenExchangeFailed", "fetching an FCM access token failed (\(error))")
        }
    }

    private static func fetch(account: ServiceAccount, tokenEndpoint: String, client: HTTPClient, now: Date, timeout: Double) async throws
        -> (String, Date)
    {
        let key: _RSA.Signing.PrivateKey
        do { key = try _RSA.Signing.PrivateKey(pemRepresentation: account.privateKeyPEM) } catch {
            throw DeliveryError.configuration("the service account's private_key is not an RSA PEM key; fix the Secret")
        }
        var header: JSON = ["alg": "RS256", "typ": "JWT"]
        if let kid = account.privateKeyID { header["kid"] = .string(kid) }
        let iat = Int64(now.timeIntervalSince1970)
        let claims: JSON = [
            "iss": .string(account.clientEmail), "scope": .string(scope), "aud": .string(tokenEndpoint),
            "iat": .int(iat), "exp": .int(iat + 3600),
        ]
        let assertion = try JWT.rs256(header: header, claims: claims, key: key)
        var request = HTTPClientRequest(url: tokenEndpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(
            ByteBuffer(
                string: TwilioDriver.formEncode([
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion),
                ])))
        let r = try await ProviderHTTP.perform(client, request, timeout: timeout, provider: "the OAuth token endpoint")
        guard r.status == 200, let token = r.json?["access_token"]?.stringValue else {
            if (400..<500).contains(r.status), r.status != 429 {
                throw DeliveryError.configuration(
                    "the OAuth token endpoint refused the service account (HTTP \(r.status): \(r.json?["error"]?.stringValue ?? ProviderHTTP.excerpt(r.body, limit: 80))); check the Secret"
                )
            }
            throw ProviderHTTP.failure(r, provider: "the OAuth token endpoint", now: now)
        }
        let lifetime = r.json?["expires_in"]?.doubleValue ?? 3600
        return (token, now.addingTimeInterval(lifetime))
    }
}
