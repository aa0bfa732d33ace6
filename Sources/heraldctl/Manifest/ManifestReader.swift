import Foundation
import HeraldAPI

/// One object read from a manifest, with where it came from (for messages such as
/// `error when creating "notif.yaml"`).
struct ManifestObject: Sendable {
    var json: JSON
    var source: String

    var resource: Resource { Resource(json) }
}

/// Reads `-f` arguments: files, directories (`-R` to descend), or `-` for standard input; YAML
/// streams of several documents, JSON documents, and `List` objects are all expanded to objects.
enum ManifestReader {
    /// The extensions kubectl reads from directories.
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    static func read(_ paths: [String], recursive: Bool) throws(CLIError) -> [ManifestObject] {
        var objects: [ManifestObject] = []
        for path in paths {
            if path == "-" {
                objects += try parse(Console.readStandardInput(), source: "STDIN")
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .message("the path \"\(path)\" does not exist")
            }
            if isDirectory.boolValue {
                for file in try files(in: path, recursive: recursive) {
                    objects += try parse(contents(of: file), source: file)
                }
            } else {
                objects += try parse(contents(of: path), source: path)
            }
        }
        return objects
    }

    static func contents(of path: String) throws(CLIError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .message("cannot read \"\(path)\"")
        }
        return Array(data)
    }

    /// Manifest files of a directory in name order, so applies are repeatable.
    static func files(in directory: String, recursive: Bool) throws(CLIError) -> [String] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw .message("cannot list \"\(directory)\": \(error.localizedDescription)")
        }
        var out: [String] = []
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        for entry in entries where !entry.hasPrefix(".") {
            let path = prefix + entry
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if recursive { out += try files(in: path, recursive: true) }
            } else if let ext = entry.split(separator: ".").last, entry.contains("."),
                extensions.contains(ext.lowercased())
            {
                out.append(path)
            }
        }
        return out
    }

    /// Parses one file's bytes into objects.
    static func parse(_ bytes: [UInt8], source: String) throws(CLIError) -> [ManifestObject] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .message("error parsing \(source): the file is not valid UTF-8")
        }
        let firstNonSpace = text.unicodeScalars.first { !$0.properties.isWhitespace }
        var documents: [JSON] = []
        if firstNonSpace == "{" {
            do {
                documents = [try JSON.parse(bytes)]
            } catch {
                throw .message("error parsing \(source): \(error.description)")
            }
        } else {
            do {
                documents = try JSON.parseYAMLStream(text)
            } catch {
                throw .message("error parsing \(source): \(error.description)")
            }
        }
        var objects: [ManifestObject] = []
        for document in documents {
            for object in try expand(document, source: source) {
                objects.append(ManifestObject(json: object, source: source))
            }
        }
        return objects
    }

    /// Checks a document is an object with apiVersion and kind, and unpacks `List`s.
    static func expand(_ document: JSON, source: String) throws(CLIError) -> [JSON] {
        guard document.objectValue != nil else {
            throw .message("error validating \"\(source)\": error validating data: the document is not an object")
        }
        var missing: [String] = []
        if (document["apiVersion"]?.stringValue ?? "").isEmpty { missing.append("apiVersion not set") }
        if (document["kind"]?.stringValue ?? "").isEmpty { missing.append("kind not set") }
        if !missing.isEmpty {
            let detail = missing.count == 1 ? missing[0] : "[" + missing.joined(separator: ", ") + "]"
            throw .message("error validating \"\(source)\": error validating data: \(detail)")
        }
        if let kind = document["kind"]?.stringValue, kind.hasSuffix("List"), let items = document["items"]?.arrayValue {
            var out: [JSON] = []
            for item in items { out += try expand(item, source: source) }
            return out
        }
        return [document]
    }
}
