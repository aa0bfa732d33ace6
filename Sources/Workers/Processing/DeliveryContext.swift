import HeraldAPI
import Logging

/// What a driver may use for one send: the job, its Channel's type-specific settings, the
/// time it may take, a logger carrying the correlation id, and access to Secrets.
public struct DeliveryContext: Sendable {
    public let job: DeliveryJob
    /// `channel.spec[<type>]`, e.g. `spec.webhook` (an empty object when absent).
    public let settings: JSON
    /// Seconds this attempt may take (the Channel's `timeout`, cut short by the deadline).
    public let timeout: Double
    /// The worker's logger with the job's correlation id, delivery, channel and attempt.
    public var logger: Logger { baseLogger.forJob(job) }
    private let baseLogger: Logger
    public let secrets: any SecretResolver
    public let clock: any WorkerClock

    /// - Parameter logger: the worker's logger; the job's metadata is added when a line is written.
    public init(job: DeliveryJob, timeout: Double, logger: Logger, secrets: any SecretResolver, clock: any WorkerClock) {
        self.job = job
        settings = job.channel.spec[job.channel.type] ?? .emptyObject
        self.timeout = timeout
        baseLogger = logger
        self.secrets = secrets
        self.clock = clock
    }

    /// A string setting (`spec.<type>.<key>`).
    public func setting(_ key: String) -> String? {
        settings[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func requiredSetting(_ key: String) throws(DeliveryError) -> String {
        guard let v = setting(key) else {
            throw .configuration("Channel \(job.namespace)/\(job.channel.name) has no spec.\(job.channel.type).\(key); set it")
        }
        return v
    }

    /// The Secret a reference (`{name}` or `{name, key}`) under `spec.<type>.<field>` names.
    public func secret(_ field: String) async throws(DeliveryError) -> SecretData {
        guard let name = settings[field]?["name"]?.stringValue, !name.isEmpty else {
            throw .configuration(
                "Channel \(job.namespace)/\(job.channel.name) has no spec.\(job.channel.type).\(field).name; reference a Secret")
        }
        do { return try await secrets.secret(namespace: job.namespace, name: name) } catch { throw error.deliveryError }
    }

    /// One value of the Secret referenced by `spec.<type>.<field>`; the key is the reference's
    /// `key`, else `defaultKey`.
    public func secretValue(_ field: String, defaultKey: String) async throws(DeliveryError) -> [UInt8] {
        let s = try await secret(field)
        let key = settings[field]?["key"]?.stringValue ?? defaultKey
        guard let v = s.bytes(key) else {
            throw SecretError.keyMissing(namespace: s.namespace, name: s.name, key: key).deliveryError
        }
        return v
    }

    public func secretString(_ field: String, defaultKey: String) async throws(DeliveryError) -> String {
        String(decoding: try await secretValue(field, defaultKey: defaultKey), as: UTF8.self)
    }

    /// A string from the recipient's address (`recipient.address.<key>`).
    public func address(_ key: String) -> String? {
        job.recipient.address[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func requiredAddress(_ key: String, what: String) throws(DeliveryError) -> String {
        guard let v = address(key) else {
            throw .permanent(
                "AddressMissing",
                "the recipient has no \(what) (recipient.address.\(key)); add it to the Recipient or the notification's address",
                providerAnswered: false)
        }
        return v
    }
}
