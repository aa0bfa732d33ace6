/// The metadata that carries a redrive of a dead letter (a Failed Delivery) between heraldctl,
/// which asks for one, and the controller, which carries it out. The API server stays out of it:
/// a request is an ordinary merge patch of annotations, so any client can make one.
public enum DeliveryRedrive {
    /// When the redrive was asked for (RFC 3339, set by the client). The value identifies the
    /// request: the controller answers each value once.
    public static let requestedAtAnnotation = "herald.dev/redrive-requested-at"
    /// Who asked (`--as`, the config context's user, or `$USER@hostname`), named in the Event.
    public static let requestedByAnnotation = "herald.dev/redrive-requested-by"
    /// The `requestedAt` value the controller has answered (redriven or refused), so a request
    /// is carried out once even when the reconcile runs again.
    public static let handledAnnotation = "herald.dev/redrive-handled"
    /// Why the controller refused the request it answered, when it did.
    public static let refusedAnnotation = "herald.dev/redrive-refused"
    /// On a redriven Delivery: the name of the Delivery that replaced it.
    public static let redrivenToAnnotation = "herald.dev/redriven-to"
    /// On a redriven Delivery, `"true"`: a label, so `dlq list` leaves redriven ones out server-side
    /// (`labelSelector=!herald.dev/redriven`).
    public static let redrivenLabel = "herald.dev/redriven"

    /// Whether `delivery` carries a request the controller has not answered yet.
    public static func pendingRequest(_ delivery: Resource) -> (at: String, by: String)? {
        // Read in place: every plan asks this of every Delivery, and almost none carries a request.
        let a = delivery.metadata["annotations"]
        guard let at = a?[requestedAtAnnotation]?.stringValue, !at.isEmpty, a?[handledAnnotation]?.stringValue != at else {
            return nil
        }
        return (at, a?[requestedByAnnotation]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown")
    }

    public static func isRedriven(_ delivery: Resource) -> Bool {
        delivery.labels[redrivenLabel] == "true"
    }
}
