/// The kind of delivery job, which is also the routing key on `herald.jobs` and the suffix of
/// the queue the job waits in (`herald.jobs.<type>`).
///
/// Channel types map onto these: `smtp` → ``email``, `webpush`/`fcm`/`apns` → ``push``,
/// `twilio` → ``sms``; the others keep their name.
public enum JobType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case email
    case webhook
    case slack
    case push
    case sms
    case log

    public var description: String { rawValue }
}
