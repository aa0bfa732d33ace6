import Foundation

/// Percent-encoding for query values and form fields: everything but RFC 3986's unreserved
/// characters is escaped, so a value's `&`, `=`, `+`, spaces, commas and parentheses reach the
/// other end as they were.
enum PercentEncoding {
    // ASCII only: CharacterSet.alphanumerics would let non-ASCII letters through unescaped.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
