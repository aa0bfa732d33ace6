/// The phases of a Delivery (`status.phase`), as the Delivery schema lists them.
public enum DeliveryPhase: String, Sendable, Hashable, CaseIterable {
    /// Created, not yet handed to the broker (scheduled, quiet hours, suspended).
    case pending = "Pending"
    /// A job for the current attempt is in the broker, due now.
    case queued = "Queued"
    /// Reserved for workers that report progress; the controller itself never sets it.
    case sending = "Sending"
    /// An attempt failed and another is scheduled (`nextAttemptTime`).
    case retrying = "Retrying"
    case delivered = "Delivered"
    case failed = "Failed"
    case suppressed = "Suppressed"
    case expired = "Expired"
    case canceled = "Canceled"

    /// Nothing more will happen to a delivery in a terminal phase.
    public var isTerminal: Bool {
        switch self {
        case .delivered, .failed, .suppressed, .expired, .canceled: return true
        case .pending, .queued, .sending, .retrying: return false
        }
    }
}
