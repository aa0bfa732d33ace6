/// The body of one message on `herald.results`: either one result object (what workers sent
/// before they packed results, and what other producers may still send) or an array of result
/// objects (a worker packs the results that finished while its previous publish was being
/// confirmed, so the broker stores, confirms, delivers and acknowledges one message for many).
/// Each element is a `DeliveryResult` document exactly as architecture.md describes it.
public enum ResultMessage {
    /// One message body carrying `encodedResults` (each `DeliveryResult.encoded()`): the object
    /// itself when there is one, so a lone result reads the same as before packing; otherwise a
    /// JSON array, joined from the encoded bytes without parsing them again.
    public static func body(_ encodedResults: [[UInt8]]) -> [UInt8] {
        if encodedResults.count == 1 { return encodedResults[0] }
        var out: [UInt8] = []
        out.reserveCapacity(encodedResults.reduce(2) { $0 + $1.count + 1 })
        out.append(UInt8(ascii: "["))
        for (i, r) in encodedResults.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: r)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// Bytes one result adds to a packed body: itself and its separator.
    public static func packedSize(of encodedResult: [UInt8]) -> Int { encodedResult.count + 1 }

    /// The results of one message, each decoded on its own so that one bad element does not
    /// lose the others; an element's error names its index (`[3].timings`).
    /// - Throws: when the body is not JSON, or neither an object nor an array.
    public static func decode(_ bytes: some Collection<UInt8>) throws(JobDecodingError) -> [Result<DeliveryResult, JobDecodingError>] {
        let document: JSON
        do { document = try JSON.parse(bytes) } catch {
            throw JobDecodingError(field: "<document>", problem: "is not JSON (\(error))")
        }
        switch document {
        case .object:
            return [Result { () throws(JobDecodingError) in try DeliveryResult(json: document) }]
        case .array(let elements):
            return elements.enumerated().map { i, element in
                Result { () throws(JobDecodingError) in
                    do throws(JobDecodingError) { return try DeliveryResult(json: element) } catch {
                        let field = error.field == "<document>" ? "[\(i)]" : "[\(i)].\(error.field)"
                        throw JobDecodingError(field: field, problem: error.problem)
                    }
                }
            }
        default:
            throw JobDecodingError(field: "<document>", problem: "must be a result object or an array of them, got \(document.typeName)")
        }
    }
}
