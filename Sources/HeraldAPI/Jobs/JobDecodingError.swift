import Foundation

/// A delivery job or result that does not match the job protocol.
///
/// Seen when the controller and the workers run different versions, or something other than
/// Herald published onto the jobs queue. The message names the field so the sender can be found.
public struct JobDecodingError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        "job protocol: field \(field) \(problem); run the controller and the workers at the same Herald version"
    }
}

/// Reads typed fields out of a JSON object, naming the field on failure.
struct JobFieldReader {
    let object: JSONObject
    let prefix: String

    init(_ json: JSON, at path: String) throws(JobDecodingError) {
        guard case .object(let o) = json else {
            throw JobDecodingError(field: path.isEmpty ? "<document>" : path, problem: "must be an object, got \(json.typeName)")
        }
        object = o
        prefix = path.isEmpty ? "" : path + "."
    }

    func string(_ key: String) throws(JobDecodingError) -> String {
        guard let v = object[key] else { throw JobDecodingError(field: prefix + key, problem: "is missing") }
        guard case .string(let s) = v else {
            throw JobDecodingError(field: prefix + key, problem: "must be a string, got \(v.typeName)")
        }
        return s
    }

    func optionalString(_ key: String) throws(JobDecodingError) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            throw JobDecodingError(field: prefix + key, problem: "must be a string, got \(v.typeName)")
        }
        return s
    }

    func int(_ key: String) throws(JobDecodingError) -> Int {
        guard let v = object[key] else { throw JobDecodingError(field: prefix + key, problem: "is missing") }
        guard let i = v.intValue, let n = Int(exactly: i) else {
            throw JobDecodingError(field: prefix + key, problem: "must be an integer, got \(v.typeName)")
        }
        return n
    }

    func optionalDouble(_ key: String) throws(JobDecodingError) -> Double? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let d = v.doubleValue else {
            throw JobDecodingError(field: prefix + key, problem: "must be a number, got \(v.typeName)")
        }
        return d
    }

    func optionalTime(_ key: String) throws(JobDecodingError) -> Date? {
        guard let s = try optionalString(key) else { return nil }
        guard let d = Timestamp.parse(s) else {
            throw JobDecodingError(field: prefix + key, problem: "must be an RFC 3339 time, got \"\(s)\"")
        }
        return d
    }

    func json(_ key: String, default fallback: JSON? = nil) throws(JobDecodingError) -> JSON {
        if let v = object[key] { return v }
        if let fallback { return fallback }
        throw JobDecodingError(field: prefix + key, problem: "is missing")
    }

    func enumValue<E: RawRepresentable>(_ key: String, _: E.Type) throws(JobDecodingError) -> E where E.RawValue == String {
        let s = try string(key)
        guard let e = E(rawValue: s) else {
            throw JobDecodingError(field: prefix + key, problem: "has unknown value \"\(s)\"")
        }
        return e
    }
}
