import HeraldAPI

/// How an HTTP status becomes a delivery outcome, the same for every HTTP channel.
public enum HTTPClassification {
    /// 2xx delivered; 408, 425, 429 and 5xx transient (the service may recover); other 4xx
    /// permanent (this request will never be accepted); 1xx/3xx permanent because providers
    /// are called without following redirects and an unexpected one is a misconfigured URL.
    public static func outcome(status: Int) -> DeliveryOutcome {
        switch status {
        case 200..<300: return .delivered
        case 408, 425, 429: return .transient
        case 500..<600: return .transient
        default: return .permanent
        }
    }

    /// `HTTP503` and friends.
    public static func code(status: Int) -> String { "HTTP\(status)" }

    /// What to do about a status, for result messages.
    public static func advice(status: Int) -> String {
        switch status {
        case 401, 403: return "check the Channel's credentials (its Secret) and their permissions"
        case 404, 410: return "the endpoint does not exist any more; check the URL or the recipient's address"
        case 400, 413, 422: return "the provider refused the content; check the template and the variables"
        case 408, 425, 429: return "the provider asked to slow down; the delivery will be retried"
        case 300..<400: return "the endpoint redirects; set the Channel's URL to the final location"
        case 500..<600: return "the provider failed; the delivery will be retried"
        default: return "check the Channel's settings"
        }
    }
}
