import HeraldAPI

extension StandardWebhookSigner {
    /// Signers by secret, so that a Channel's secret is trimmed and base64-decoded once rather
    /// than for every webhook sent (that decoding was about 3% of the worker's CPU per
    /// delivery). A rotated secret is simply another entry; the cache is emptied when it passes
    /// `cacheLimit` entries so that retired secrets do not pile up.
    public static func cached(secret: String) throws(DeliveryError) -> StandardWebhookSigner {
        try cache.value(for: secret) { () throws(DeliveryError) in try StandardWebhookSigner(secret: secret) }
    }

    static let cacheLimit = 256
    private static let cache = Memo<String, StandardWebhookSigner>(capacity: cacheLimit)
}
