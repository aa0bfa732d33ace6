/// Where and as whom to connect: the parts of `amqp://USER:PASS@HOST:PORT/VHOST`.
///
/// ``description`` never includes the password, so endpoints can be logged.
public struct AMQPEndpoint: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var host: String
    public var port: Int
    public var virtualHost: String
    public var user: String
    public var password: String

    public init(host: String, port: Int = 5672, virtualHost: String = "/", user: String = "guest", password: String = "guest") {
        self.host = host
        self.port = port
        self.virtualHost = virtualHost
        self.user = user
        self.password = password
    }

    /// Parses `amqp://USER:PASS@HOST:PORT/VHOST`. User, password and vhost are percent-decoded
    /// (the vhost `/` is written `%2F`); an absent or empty vhost means `/`, an absent port 5672,
    /// absent credentials guest/guest. `amqps` (TLS) is not supported.
    public init(url: String) throws(BrokerError) {
        let redacted = Self.redact(url)
        func fail(_ reason: String) -> BrokerError { .invalidURL(redacted, reason: reason) }

        guard let schemeEnd = url.range(of: "://") else { throw fail("missing scheme") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "amqp" else {
            throw fail(scheme == "amqps" ? "amqps (TLS) is not supported" : "scheme must be amqp")
        }
        var rest = url[schemeEnd.upperBound...]
        if rest.contains("?") || rest.contains("#") {
            throw fail("query parameters are not supported; set them in RabbitMQConfiguration")
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user = "guest"
        var password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let decodedUser = Self.percentDecode(parts[0]) else { throw fail("bad percent-encoding in user") }
            user = decodedUser
            if parts.count == 2 {
                guard let decodedPassword = Self.percentDecode(parts[1]) else {
                    throw fail("bad percent-encoding in password")
                }
                password = decodedPassword
            }
        }
        var host = rest
        var port = 5672
        if host.hasPrefix("[") {
            // IPv6 literal: [::1]:5672
            guard let close = host.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { throw fail("bad port") }
                port = number
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else { throw fail("bad port") }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw fail("missing host") }
        guard (1...65535).contains(port) else { throw fail("port \(port) is out of range") }
        guard !path.contains("/") else { throw fail("the vhost must be one path segment; write '/' as %2F") }
        guard let vhost = Self.percentDecode(path) else { throw fail("bad percent-encoding in vhost") }
        self.init(host: String(host), port: port, virtualHost: vhost.isEmpty ? "/" : vhost, user: user, password: password)
    }

    /// `amqp://USER@HOST:PORT/VHOST`, without the password.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "amqp://\(Self.percentEncode(user))@\(hostPart):\(port)/\(Self.percentEncode(virtualHost))"
    }

    public var debugDescription: String { description }

    /// Keeps the password out of `dump()` and of the reflection-based printing of enclosing types.
    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port, "virtualHost": virtualHost, "user": user, "password": "***"])
    }

    /// The URL with any password replaced, for error messages about URLs that did not parse.
    static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        guard let at = afterScheme[..<authorityEnd].lastIndex(of: "@") else { return url }
        let userInfo = afterScheme[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    private static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
