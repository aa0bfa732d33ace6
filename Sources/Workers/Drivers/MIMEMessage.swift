import Foundation
import HeraldAPI

/// Builds an Internet message (RFC 5322, MIME): `multipart/alternative` when there is both
/// text and HTML, RFC 2047 encoded-words for non-ASCII header text, base64 bodies (safe for
/// any UTF-8 and any line length), CRLF line endings.
struct MIMEMessage {
    var from: String
    var to: String
    var subject: String
    var text: String?
    var html: String?
    var messageID: String
    var date: Date
    var listUnsubscribe: String?
    var extraHeaders: [(String, String)] = []

    func bytes() -> [UInt8] {
        var h: [(String, String)] = [
            ("From", Self.encodeAddress(from)), ("To", Self.encodeAddress(to)), ("Subject", Self.encodeHeaderText(subject)),
            ("Date", Self.rfc5322Date(date)), ("Message-ID", messageID), ("MIME-Version", "1.0"),
        ]
        if let listUnsubscribe {
            h.append(("List-Unsubscribe", "<\(listUnsubscribe)>"))
            // RFC 8058 one-click unsubscribe applies to https URLs only.
            if listUnsubscribe.hasPrefix("https://") { h.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")) }
        }
        h += extraHeaders
        var out = ""
        for (name, value) in h { out += "\(name): \(value)\r\n" }
        switch (text, html) {
        case (let t?, let html?):
            let boundary = "=_herald_" + String(messageID.hashValue.magnitude, radix: 36) + "_alt"
            out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
            out += "This is a multi-part message in MIME format.\r\n"
            out += "--\(boundary)\r\n" + Self.part("text/plain", t)
            out += "--\(boundary)\r\n" + Self.part("text/html", html)
            out += "--\(boundary)--\r\n"
        case (nil, let html?):
            out += Self.part("text/html", html)
        default:
            out += Self.part("text/plain", text ?? "")
        }
        return Array(out.utf8)
    }

    static func part(_ type: String, _ body: String) -> String {
        "Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines(Array(body.utf8))
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        let b64 = Base64.encode(bytes)
        var out = ""
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 76, limitedBy: b64.endIndex) ?? b64.endIndex
            out += b64[i..<j] + "\r\n"
            i = j
        }
        return out
    }

    /// Header text as is when printable ASCII, else RFC 2047 `=?UTF-8?B?…?=` words of at most
    /// 75 characters, never splitting a character across words, folded with CRLF SP.
    static func encodeHeaderText(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return clean }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in clean {
            let b = Array(String(ch).utf8)
            // 45 bytes encode to 60 base64 characters: 12 + 60 = 72 ≤ 75.
            if chunk.count + b.count > 45 {
                words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += b
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `Name <addr>` with a non-ASCII name encoded; a bare address passes through.
    static func encodeAddress(_ s: String) -> String {
        guard let lt = s.lastIndex(of: "<"), s.hasSuffix(">") else { return s }
        var name = s[..<lt].trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
        let addr = String(s[lt...])
        if name.isEmpty { return addr }
        if name.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return "\"\(name.replacingOccurrences(of: "\"", with: "\\\""))\" \(addr)"
        }
        return encodeHeaderText(name) + " " + addr
    }

    /// The addr-spec inside `Name <addr>`, or the string itself.
    static func addrSpec(_ s: String) -> String {
        guard let lt = s.lastIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt else {
            return s.trimmingCharacters(in: .whitespaces)
        }
        return String(s[s.index(after: lt)..<gt])
    }

    /// `<key@domain>` from the idempotency key, so every attempt of a round carries the same
    /// Message-ID and receivers can drop repeats.
    static func messageID(idempotencyKey: String, from: String) -> String {
        let domain = addrSpec(from).split(separator: "@").last.map(String.init) ?? "herald.local"
        let local = String(
            idempotencyKey.map { c -> Character in
                c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_") ? c : "-"
            })
        return "<\(local)@\(domain)>"
    }

    static func rfc5322Date(_ date: Date) -> String {
        String(RetryAfter.imfFixdate(date).dropLast(3)) + "+0000"
    }
}
