import Crypto
import HeraldAPI

/// The content of one message after rendering, ready for a driver.
public struct RenderedMessage: Sendable, Hashable {
    /// The template part used (`email`, `push`, `sms`, `chat`, `webhook`); empty when the
    /// template had none for a `log` channel.
    public var part: String
    /// The `locales` key used, or nil for the default content.
    public var locale: String?
    /// Rendered text fields by name: `subject`, `text`, `html`, `title`, `body`.
    public var fields: [String: String]
    /// Rendered `push.data` (strings inside rendered as text).
    public var data: JSON?
    /// `sha256:<hex>` of the canonical JSON of all of the above.
    public var digest: String

    public init(part: String, locale: String?, fields: [String: String], data: JSON?) {
        self.part = part
        self.locale = locale
        self.fields = fields
        self.data = data
        digest = ""
        digest = RenderedMessage.digest(of: json)
    }

    public var subject: String? { fields["subject"] }
    public var text: String? { fields["text"] }
    public var html: String? { fields["html"] }
    public var title: String? { fields["title"] }
    public var body: String? { fields["body"] }

    /// The message as JSON (part, locale, fields, data); what the digest covers.
    public var json: JSON {
        var o: JSONObject = ["part": .string(part)]
        if let locale { o["locale"] = .string(locale) }
        for (k, v) in fields { o[k] = .string(v) }
        if let data { o["data"] = data }
        return .object(o)
    }

    public static func digest(of json: JSON) -> String {
        digest(of: json.serialized())
    }

    public static func digest(of bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: bytes)
        // Every job's message is digested: written digit by digit into the string itself.
        let prefix = "sha256:".utf8
        return String(unsafeUninitializedCapacity: prefix.count + 64) { out in
            var i = 0
            for b in prefix {
                out[i] = b
                i += 1
            }
            for byte in hasher.finalize() {
                out[i] = HexDigits.lowercase(byte >> 4)
                out[i + 1] = HexDigits.lowercase(byte)
                i += 2
            }
            return i
        }
    }
}
