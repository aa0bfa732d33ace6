import Foundation

/// Query parameters decoded as Go's `url.Values` encodes them (`+` is a space).
struct Query: Sendable {
    var values: [String: String] = [:]

    init(_ raw: String?) {
        guard let raw else { return }
        for pair in raw.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[key] == nil { values[key] = value }
        }
    }

    static func decode(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    subscript(_ key: String) -> String? { values[key] }

    func bool(_ key: String) -> Bool {
        guard let v = values[key] else { return false }
        return v == "true" || v == "1" || v == ""
    }

    var dryRun: Bool { values["dryRun"] == "All" }
}
