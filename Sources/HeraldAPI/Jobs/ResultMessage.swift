/// The body of one message on `herald.results`: one result object, or an array of them (a
/// worker packs the results that finished while its previous publish was being confirmed; see
/// `MessagePack`). Each element is a `DeliveryResult` document exactly as architecture.md
/// describes it.
public enum ResultMessage {
    /// One message body carrying `encodedResults` (each `DeliveryResult.encoded()`).
    public static func body(_ encodedResults: [[UInt8]]) -> [UInt8] { MessagePack.body(encodedResults) }

    /// The results of one message, each decoded on its own; an element's error names its index.
    /// - Throws: when the body is not JSON, or neither an object nor an array.
    public static func decode(_ bytes: some Collection<UInt8>) throws(JobDecodingError) -> [Result<DeliveryResult, JobDecodingError>] {
        try MessagePack.decode(bytes, what: "a result") { (json) throws(JobDecodingError) in try DeliveryResult(json: json) }.map(\.value)
    }
}
