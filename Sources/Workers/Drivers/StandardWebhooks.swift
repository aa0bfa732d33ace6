import Crypto
import Foundation
import HeraldAPI

/// Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`,
/// `webhook-timestamp`, and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
/// keyed with the bytes base64-encoded after `whsec_`.
public struct StandardWebhookSigner: Sendable {
    /// The HMAC already keyed (both key pads hashed), which each signature continues a copy of.
    /// Not Sendable in this swift-crypto, but never mutated: a copy's first update copies the
    /// digest state it shares with this one (copy-on-write), so concurrent signers only read it.
    nonisolated(unsafe) private let keyed: HMAC<SHA256>

    /// - Parameter secret: `whsec_<base64>` (a bare base64 key is accepted too).
    public init(secret: String) throws(DeliveryError) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        let encoded = trimmed.hasPrefix("whsec_") ? String(trimmed.dropFirst(6)) : trimmed
        guard let bytes = Base64.decode(encoded), !bytes.isEmpty else {
            throw .configuration("the webhook signing secret is not a Standard Webhooks secret (whsec_ followed by base64); fix the Secret")
        }
        keyed = HMAC<SHA256>(key: SymmetricKey(data: bytes))
    }

    public func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        var mac = keyed
        // "id.timestamp." is hashed in place rather than joined into a string first.
        var id = id
        id.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        var stamp = ".\(timestamp)."
        stamp.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        mac.update(data: body)
        return mac.finalize().withUnsafeBytes { Base64.encode($0, prefix: "v1,") }
    }

    /// The three headers for one request.
    public func headers(id: String, timestamp: Int, body: [UInt8]) -> [(String, String)] {
        [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature(id: id, timestamp: timestamp, body: body)),
        ]
    }
}
