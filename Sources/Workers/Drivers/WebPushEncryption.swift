import Crypto
import Foundation

/// RFC 8291 message encryption for Web Push, `aes128gcm` content coding (RFC 8188): ECDH on
/// P-256 with the subscription's key, HKDF-SHA-256 mixing in its auth secret, then AES-128-GCM
/// in a single record.
public enum WebPushEncryption {
    /// 4096 is what browsers' push services accept; one record must hold the whole payload.
    static let recordSize: UInt32 = 4096
    public static let maxPayload = 4096 - 86 - 17

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Encrypts `plaintext` for the subscription (`p256dh` = 65-byte uncompressed point,
    /// `auth` = 16 bytes). `salt` and `ephemeral` are parameters only so tests can use the
    /// RFC 8291 example values; production passes nil and gets fresh random ones.
    public static func encrypt(
        _ plaintext: [UInt8], p256dh: [UInt8], auth: [UInt8], salt: [UInt8]? = nil,
        ephemeral: P256.KeyAgreement.PrivateKey? = nil
    ) throws(Failure) -> [UInt8] {
        guard auth.count == 16 else { throw Failure(description: "auth secret must be 16 bytes, got \(auth.count)") }
        let uaPublic: P256.KeyAgreement.PublicKey
        do { uaPublic = try P256.KeyAgreement.PublicKey(x963Representation: p256dh) } catch {
            throw Failure(description: "p256dh is not an uncompressed P-256 public key")
        }
        // Push services cap the whole body at 4096 bytes: 86 bytes of header, the 1-byte
        // delimiter and the 16-byte tag leave 3993 for the payload.
        guard plaintext.count <= maxPayload else {
            throw Failure(
                description:
                    "payload of \(plaintext.count) bytes exceeds the \(maxPayload) bytes a push message can carry; shorten the push content"
            )
        }
        let asPrivate = ephemeral ?? P256.KeyAgreement.PrivateKey()
        let asPublic = Array(asPrivate.publicKey.x963Representation)
        let salt = salt ?? randomBytes(16)

        let shared: SharedSecret
        do { shared = try asPrivate.sharedSecretFromKeyAgreement(with: uaPublic) } catch {
            throw Failure(description: "ECDH with the subscription key failed")
        }
        let ecdhSecret = shared.withUnsafeBytes { Array($0) }

        // RFC 8291 §3.4: IKM = HKDF(auth, ecdh_secret, "WebPush: info" || 0 || ua_public || as_public, 32)
        let keyInfo = Array("WebPush: info".utf8) + [0] + p256dh + asPublic
        let ikm = hkdf(salt: auth, ikm: ecdhSecret, info: keyInfo, length: 32)
        // RFC 8188 §2.2: CEK and NONCE from the record salt.
        let cek = hkdf(salt: salt, ikm: ikm, info: Array("Content-Encoding: aes128gcm".utf8) + [0], length: 16)
        let nonce = hkdf(salt: salt, ikm: ikm, info: Array("Content-Encoding: nonce".utf8) + [0], length: 12)

        // A single, last record: plaintext, then the 0x02 delimiter (no extra padding).
        let padded = plaintext + [2]
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(padded, using: SymmetricKey(data: cek), nonce: AES.GCM.Nonce(data: nonce))
        } catch {
            throw Failure(description: "AES-GCM failed: \(error)")
        }
        var out: [UInt8] = salt
        withUnsafeBytes(of: recordSize.bigEndian) { out.append(contentsOf: $0) }
        out.append(UInt8(asPublic.count))
        out += asPublic
        out += Array(sealed.ciphertext) + Array(sealed.tag)
        return out
    }

    static func hkdf(salt: [UInt8], ikm: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: ikm), salt: salt, info: info, outputByteCount: length)
        return key.withUnsafeBytes { Array($0) }
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}
