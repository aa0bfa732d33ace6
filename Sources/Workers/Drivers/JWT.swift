import Crypto
import Foundation
import HeraldAPI
import _CryptoExtras

/// Compact JWS (RFC 7515) for the three providers that want one: ES256 for VAPID and APNs,
/// RS256 for Google service accounts.
enum JWT {
    static func base64URL(_ bytes: some Collection<UInt8>) -> String {
        var s = Base64.encode(bytes)
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func base64URLDecode(_ s: String) -> [UInt8]? {
        var t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Base64.decode(t)
    }

    static func signingInput(header: JSON, claims: JSON) -> String {
        base64URL(header.serialized()) + "." + base64URL(claims.serialized())
    }

    /// ES256: ECDSA P-256 over SHA-256, signature as raw r‖s (64 bytes) as JWS requires.
    static func es256(header: JSON, claims: JSON, key: P256.Signing.PrivateKey) throws(DeliveryError) -> String {
        let input = signingInput(header: header, claims: claims)
        do {
            let sig = try key.signature(for: Array(input.utf8))
            return input + "." + base64URL(sig.rawRepresentation)
        } catch {
            throw .configuration("cannot sign the ES256 token (\(error)); check the private key in the Channel's Secret")
        }
    }

    /// RS256: RSASSA-PKCS1-v1_5 over SHA-256 (JWS RS256; `_CryptoExtras` names the padding
    /// "insecure" only because PKCS#1 v1.5 is discouraged for new protocols, but RS256 is it).
    static func rs256(header: JSON, claims: JSON, key: _RSA.Signing.PrivateKey) throws(DeliveryError) -> String {
        let input = signingInput(header: header, claims: claims)
        do {
            let sig = try key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5)
            return input + "." + base64URL(sig.rawRepresentation)
        } catch {
            throw .configuration("cannot sign the RS256 token (\(error)); check the service account's private_key")
        }
    }

    /// A P-256 private key from PEM (PKCS#8 or SEC1, as `.p8` files are), or raw base64url
    /// 32 bytes (how VAPID keys are usually shared).
    static func p256PrivateKey(_ text: String, what: String) throws(DeliveryError) -> P256.Signing.PrivateKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            if trimmed.contains("-----BEGIN") { return try P256.Signing.PrivateKey(pemRepresentation: trimmed) }
            if let raw = base64URLDecode(trimmed) {
                if raw.count == 32 { return try P256.Signing.PrivateKey(rawRepresentation: raw) }
                return try P256.Signing.PrivateKey(derRepresentation: raw)
            }
        } catch {}
        throw .configuration("\(what) is not a P-256 private key (PEM, DER or base64url raw 32 bytes); fix the Secret")
    }
}
