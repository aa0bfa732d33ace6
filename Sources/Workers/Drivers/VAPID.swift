import Crypto
import Foundation
import HeraldAPI

/// RFC 8292 VAPID: an ES256 JWT for the push service's origin, sent as
/// `Authorization: vapid t=<jwt>, k=<base64url uncompressed public key>`.
struct VAPID {
    let key: P256.Signing.PrivateKey
    let subject: String

    /// `t=…, k=…` for an endpoint; the JWT expires in 12 hours (the RFC allows up to 24).
    func authorization(endpoint: String, now: Date) throws(DeliveryError) -> String {
        guard let c = URLComponents(string: endpoint), let scheme = c.scheme, let host = c.host else {
            throw .permanent(
                "InvalidSubscription", "the web push endpoint \"\(endpoint)\" is not a URL; the subscription is unusable",
                providerAnswered: false)
        }
        let audience = "\(scheme)://\(host)" + (c.port.map { ":\($0)" } ?? "")
        let claims: JSON = [
            "aud": .string(audience), "exp": .int(Int64(now.timeIntervalSince1970) + 12 * 3600), "sub": .string(subject),
        ]
        let token = try JWT.es256(header: ["typ": "JWT", "alg": "ES256"], claims: claims, key: key)
        return "vapid t=\(token), k=\(JWT.base64URL(key.publicKey.x963Representation))"
    }
}
