import HeraldAPI

/// Where workers get Channel credentials. Jobs carry Secret references only; a resolver turns
/// a (namespace, name) into values. Production uses `HTTPSecretResolver` (the API server);
/// tests use `InMemorySecretResolver`.
public protocol SecretResolver: Sendable {
    func secret(namespace: String, name: String) async throws(SecretError) -> SecretData
}

/// A Secret's decoded values. Its description lists the keys, never the values, so it can be
/// logged or interpolated by mistake without leaking anything.
public struct SecretData: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let namespace: String
    public let name: String
    private let values: [String: [UInt8]]

    public init(namespace: String, name: String, values: [String: [UInt8]]) {
        self.namespace = namespace
        self.name = name
        self.values = values
    }

    /// From a Secret object (`data` base64, `stringData` plain, as the API accepts them).
    public init(resource: Resource) {
        var r = resource
        KindDefinition.secret.applyDefaults(&r)
        var values: [String: [UInt8]] = [:]
        for key in (r.json["data"]?.objectValue ?? [:]).keys {
            if let v = r.secretValue(key) { values[key] = v }
        }
        self.init(namespace: r.namespace, name: r.name, values: values)
    }

    public var keys: [String] { values.keys.sorted() }

    public func bytes(_ key: String) -> [UInt8]? { values[key] }

    public func string(_ key: String) -> String? {
        values[key].map { String(decoding: $0, as: UTF8.self) }
    }

    public var description: String { "Secret \(namespace)/\(name) (keys: \(keys.joined(separator: ", ")))" }
    public var debugDescription: String { description }
}

public enum SecretError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(namespace: String, name: String)
    case keyMissing(namespace: String, name: String, key: String)
    /// The API server could not be asked (down, timeout, 5xx).
    case unavailable(namespace: String, name: String, reason: String)
    /// The API server refused the worker (401/403).
    case forbidden(namespace: String, name: String, status: Int)

    public var description: String {
        switch self {
        case .notFound(let ns, let name):
            return "Secret \(ns)/\(name) not found; create it or fix the Channel's secret reference"
        case .keyMissing(let ns, let name, let key):
            return "Secret \(ns)/\(name) has no key \"\(key)\"; add it or set the reference's key"
        case .unavailable(let ns, let name, let reason):
            return "cannot read Secret \(ns)/\(name) from the API server (\(reason)); the delivery will be retried"
        case .forbidden(let ns, let name, let status):
            return "the API server refused to give Secret \(ns)/\(name) to this worker (HTTP \(status)); check the worker's token"
        }
    }

    /// Secret problems are transient: the Secret may be created or fixed in the meantime, and
    /// the controller's retry policy bounds the attempts. They never feed the breaker.
    public var deliveryError: DeliveryError {
        let code: String
        switch self {
        case .notFound: code = "SecretNotFound"
        case .keyMissing: code = "SecretKeyMissing"
        case .unavailable: code = "SecretUnavailable"
        case .forbidden: code = "SecretForbidden"
        }
        return .transient(code, description, providerFailure: false)
    }
}

/// Secrets held in memory, for tests and `herald serve` wiring that already has them.
public struct InMemorySecretResolver: SecretResolver {
    private let secrets: [String: SecretData]

    public init(_ secrets: [SecretData]) {
        var map: [String: SecretData] = [:]
        for s in secrets { map[s.namespace + "/" + s.name] = s }
        self.secrets = map
    }

    public init(resources: [Resource]) {
        self.init(resources.map(SecretData.init(resource:)))
    }

    public func secret(namespace: String, name: String) async throws(SecretError) -> SecretData {
        guard let s = secrets[namespace + "/" + name] else { throw .notFound(namespace: namespace, name: name) }
        return s
    }
}
