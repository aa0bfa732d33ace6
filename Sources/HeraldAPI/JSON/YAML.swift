import Foundation
import Yams

/// A malformed YAML document.
public struct YAMLParseError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "invalid YAML: \(reason)" }
}

extension JSON {
    /// A cap on expanded nodes, so alias bombs ("billion laughs") fail fast instead of exhausting memory.
    static let maxYAMLNodes = 1_000_000

    /// Parses every document of a YAML stream (`---` separated); empty documents are skipped.
    public static func parseYAMLDocuments(_ text: String) throws(YAMLParseError) -> [JSON] {
        do {
            var budget = maxYAMLNodes
            var docs: [JSON] = []
            for node in try Yams.compose_all(yaml: text) {
                let value = try convert(node, budget: &budget, depth: 0)
                if !value.isNull { docs.append(value) }
            }
            return docs
        } catch let error as YAMLParseError {
            throw error
        } catch {
            throw YAMLParseError(reason: String(describing: error))
        }
    }

    /// Parses a body that is JSON or YAML (JSON first, since it is a YAML subset and much faster).
    public static func parseJSONOrYAML(_ bytes: [UInt8]) throws(YAMLParseError) -> JSON {
        let firstNonSpace = bytes.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if firstNonSpace == UInt8(ascii: "{") || firstNonSpace == UInt8(ascii: "[") {
            do {
                return try JSON.parse(bytes)
            } catch {
                throw YAMLParseError(reason: error.description)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw YAMLParseError(reason: "the body is not valid UTF-8")
        }
        let docs = try parseYAMLDocuments(text)
        guard docs.count <= 1 else { throw YAMLParseError(reason: "expected one document, found \(docs.count)") }
        return docs.first ?? .null
    }

    /// Scalar resolution done here rather than by Yams' constructors, which can trap on odd input.
    static func scalarValue(_ text: String, tag: Tag.Name) -> JSON {
        switch tag {
        case .null:
            return .null
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "on", "y": return .bool(true)
            case "false", "no", "off", "n": return .bool(false)
            default: return .string(text)
            }
        case .int:
            let cleaned = text.replacingOccurrences(of: "_", with: "")
            if let i = Int64(cleaned) { return .int(i) }
            let negative = cleaned.hasPrefix("-")
            let unsigned = cleaned.drop { $0 == "-" || $0 == "+" }
            var value: Int64?
            if unsigned.hasPrefix("0x") {
                value = Int64(unsigned.dropFirst(2), radix: 16)
            } else if unsigned.hasPrefix("0o") {
                value = Int64(unsigned.dropFirst(2), radix: 8)
            } else if unsigned.hasPrefix("0b") {
                value = Int64(unsigned.dropFirst(2), radix: 2)
            } else if unsigned.hasPrefix("0"), unsigned.count > 1 {
                value = Int64(unsigned.dropFirst(), radix: 8)
            }
            guard let value else { return .string(text) }
            return .int(negative ? -value : value)
        case .float:
            guard let d = Double(text.replacingOccurrences(of: "_", with: "")), d.isFinite else { return .string(text) }
            return .double(d)
        default:
            return .string(text)
        }
    }

    static func convert(_ node: Node, budget: inout Int, depth: Int) throws -> JSON {
        budget -= 1
        if budget < 0 { throw YAMLParseError(reason: "document expands to more than \(maxYAMLNodes) nodes") }
        if depth > JSONParser.maxDepth { throw YAMLParseError(reason: "nesting deeper than \(JSONParser.maxDepth)") }
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar.string, tag: Tag.Name(rawValue: node.tag.rawValue))
        case .mapping(let mapping):
            var object: JSONObject = [:]
            for (key, value) in mapping {
                guard case .scalar(let k) = key else { throw YAMLParseError(reason: "mapping keys must be scalars") }
                object[k.string] = try convert(value, budget: &budget, depth: depth + 1)
            }
            return .object(object)
        case .sequence(let sequence):
            var array: [JSON] = []
            array.reserveCapacity(sequence.count)
            for item in sequence { array.append(try convert(item, budget: &budget, depth: depth + 1)) }
            return .array(array)
        case .alias:
            throw YAMLParseError(reason: "unresolved alias")
        }
    }
}

extension JSON {
    /// Block-style YAML with sorted keys, the way kubectl prints objects.
    public func yamlString() -> String {
        var out = ""
        switch self {
        case .object(let o) where !o.isEmpty: JSON.writeMapping(o, indent: 0, into: &out)
        case .array(let a) where !a.isEmpty: JSON.writeSequence(a, indent: 0, into: &out)
        default: out = yamlScalar() + "\n"
        }
        return out
    }

    static func writeMapping(_ o: JSONObject, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in o {
            out += pad + yamlKey(key) + ":"
            switch value {
            case .object(let child) where !child.isEmpty:
                out += "\n"
                writeMapping(child, indent: indent + 2, into: &out)
            case .array(let child) where !child.isEmpty:
                out += "\n"
                writeSequence(child, indent: indent, into: &out)
            default:
                out += " " + value.yamlScalar() + "\n"
            }
        }
    }

    static func writeSequence(_ a: [JSON], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in a {
            switch item {
            case .object(let child) where !child.isEmpty:
                var nested = ""
                writeMapping(child, indent: indent + 2, into: &nested)
                // The first key shares the line with the dash.
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .array(let child) where !child.isEmpty:
                out += pad + "-\n"
                writeSequence(child, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + item.yamlScalar() + "\n"
            }
        }
    }

    func yamlScalar() -> String {
        switch self {
        case .null: return "null"
        case .object: return "{}"
        case .array: return "[]"
        case .string(let s): return JSON.yamlString(s)
        default: return serializedString()
        }
    }

    static func yamlKey(_ key: String) -> String { yamlString(key) }

    static let reservedWords: Set<String> = [
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n", "",
    ]

    /// Plain when YAML would read the text back as the same string, double-quoted (JSON escapes) otherwise.
    static func yamlString(_ s: String) -> String {
        if isPlainSafe(s) { return s }
        return JSON.string(s).serializedString()
    }

    static func isPlainSafe(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        if reservedWords.contains(s.lowercased()) { return false }
        if !(first.properties.isAlphabetic || first == "_" || first == "/" || first == ".") { return false }
        if last == " " || last == ":" { return false }
        if s.contains(": ") || s.contains(" #") { return false }
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F { return false }
            if "\"'{}[],&*!|>%@`#".unicodeScalars.contains(u) { return false }
        }
        if Double(s) != nil { return false }
        return true
    }
}
