/// The body of one message carrying job-protocol documents: one document (an object), or a
/// pack of them (a JSON array), so the broker stores, confirms, delivers and has acknowledged
/// one message for many. A lone document is sent as itself, so it reads the same as before
/// packing existed; readers accept both.
public enum MessagePack {
    /// One body carrying `encoded` documents, joined from their bytes without parsing them again.
    public static func body(_ encoded: [[UInt8]]) -> [UInt8] {
        if encoded.count == 1 { return encoded[0] }
        var out: [UInt8] = []
        out.reserveCapacity(encoded.reduce(2) { $0 + $1.count + 1 })
        out.append(UInt8(ascii: "["))
        for (i, document) in encoded.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: document)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// Bytes one document adds to a packed body: itself and its separator.
    public static func packedSize(of encoded: [UInt8]) -> Int { encoded.count + 1 }

    /// Splits documents of these encoded sizes, in order, into packs of at most `maxCount`
    /// documents and `maxBytes` of body; a document larger than `maxBytes` still goes, alone.
    public static func packs(sizes: [Int], maxCount: Int, maxBytes: Int) -> [Range<Int>] {
        var packs: [Range<Int>] = []
        var start = 0
        var size = 1
        for (i, encodedSize) in sizes.enumerated() {
            let added = encodedSize + 1
            if i > start, i - start >= maxCount || size + added > maxBytes {
                packs.append(start..<i)
                start = i
                size = 1
            }
            size += added
        }
        if start < sizes.count { packs.append(start..<sizes.count) }
        return packs
    }

    /// A lone document's message ID stays its own; a pack is named after its first document and
    /// its size (`<id>+<more>`).
    public static func messageID(first: String, count: Int) -> String {
        count == 1 ? first : "\(first)+\(count - 1)"
    }

    /// The correlation ID a pack carries: the one all its documents share, or none.
    public static func sharedCorrelationID(_ ids: some Collection<String?>) -> String? {
        guard let first = ids.first else { return nil }
        return ids.allSatisfy { $0 == first } ? first : nil
    }

    /// The documents of one body, each read on its own so that one bad element does not lose
    /// the others; an element's error names its index (`[3].timings`). Each comes with its JSON,
    /// so a bad one can be set aside as it was.
    /// - Throws: when the body is not JSON, or neither an object nor an array.
    public static func decode<T>(
        _ bytes: some Collection<UInt8>, what: String, _ read: (JSON) throws(JobDecodingError) -> T
    ) throws(JobDecodingError) -> [(json: JSON, value: Result<T, JobDecodingError>)] {
        let document: JSON
        do { document = try JSON.parse(bytes) } catch {
            throw JobDecodingError(field: "<document>", problem: "is not JSON (\(error))")
        }
        switch document {
        case .object:
            return [(document, Result { () throws(JobDecodingError) in try read(document) })]
        case .array(let elements):
            return elements.enumerated().map { i, element in
                let value = Result { () throws(JobDecodingError) in
                    do throws(JobDecodingError) { return try read(element) } catch {
                        let field = error.field == "<document>" ? "[\(i)]" : "[\(i)].\(error.field)"
                        throw JobDecodingError(field: field, problem: error.problem)
                    }
                }
                return (element, value)
            }
        default:
            throw JobDecodingError(field: "<document>", problem: "must be \(what) object or an array of them, got \(document.typeName)")
        }
    }
}
