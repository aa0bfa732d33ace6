import Foundation
import HeraldAPI

/// The client configuration file, shaped like a kubeconfig (clusters, users, contexts,
/// current-context) so the layout is familiar; it lives at `$HERALDCONFIG` or `~/.herald/config`.
///
/// It is kept as JSON rather than typed structs so that fields heraldctl does not know (written
/// by hand or by a newer version) survive a `config set-context`.
struct HeraldConfig: Sendable {
    var document: JSON
    let path: String

    /// A context with its cluster and user resolved.
    struct ResolvedContext: Sendable, Equatable {
        var name: String
        var cluster: String
        var user: String
        var server: String?
        var namespace: String?
        var token: String?
    }

    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["HERALDCONFIG"], !path.isEmpty { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.herald/config"
    }

    static var empty: JSON {
        ["apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": [], "current-context": ""]
    }

    /// Loads the file; a missing file is an empty configuration, a malformed one an error.
    static func load(path: String = defaultPath()) throws(CLIError) -> HeraldConfig {
        guard FileManager.default.fileExists(atPath: path) else {
            return HeraldConfig(document: empty, path: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .message("cannot read config file \"\(path)\"")
        }
        let docs: [JSON]
        do {
            docs = try JSON.parseYAMLStream(String(decoding: data, as: UTF8.self))
        } catch {
            throw .message("error loading config file \"\(path)\": \(error.description)")
        }
        guard let doc = docs.first, doc.objectValue != nil else {
            return HeraldConfig(document: empty, path: path)
        }
        return HeraldConfig(document: doc, path: path)
    }

    /// Writes the file readable by its owner only, since it may hold bearer tokens.
    func save() throws(CLIError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data(document.yamlString().utf8).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            throw .message("cannot write config file \"\(path)\": \(error.localizedDescription)")
        }
    }

    var currentContext: String? {
        guard let name = document["current-context"]?.stringValue, !name.isEmpty else { return nil }
        return name
    }

    var contextNames: [String] {
        entries("contexts").compactMap { $0["name"]?.stringValue }
    }

    func entries(_ list: String) -> [JSON] {
        document[list]?.arrayValue ?? []
    }

    func entry(_ list: String, named name: String) -> JSON? {
        entries(list).first { $0["name"]?.stringValue == name }
    }

    func context(named name: String) -> ResolvedContext? {
        guard let entry = entry("contexts", named: name) else { return nil }
        let body = entry["context"] ?? .emptyObject
        let cluster = body["cluster"]?.stringValue ?? ""
        let user = body["user"]?.stringValue ?? ""
        let namespace = body["namespace"]?.stringValue
        return ResolvedContext(
            name: name, cluster: cluster, user: user,
            server: self.entry("clusters", named: cluster)?["cluster"]?["server"]?.stringValue,
            namespace: namespace?.isEmpty == true ? nil : namespace,
            token: self.entry("users", named: user)?["user"]?["token"]?.stringValue)
    }

    /// Replaces (or appends) the named entry of a list, applying `change` to it.
    mutating func upsert(_ list: String, named name: String, _ change: (inout JSON) -> Void) {
        var items = entries(list)
        if let index = items.firstIndex(where: { $0["name"]?.stringValue == name }) {
            change(&items[index])
        } else {
            var item: JSON = ["name": .string(name)]
            change(&item)
            items.append(item)
        }
        document[list] = .array(items)
    }

    /// `config set-context`: the context gets a cluster and a user entry of the same name, so
    /// one command sets server, namespace and token. Returns whether the context existed.
    @discardableResult
    mutating func setContext(name: String, server: String?, namespace: String?, token: String?) -> Bool {
        let existed = entry("contexts", named: name) != nil
        let existing = context(named: name)
        let cluster = existing?.cluster.isEmpty == false ? existing?.cluster ?? name : name
        let user = existing?.user.isEmpty == false ? existing?.user ?? name : name
        upsert("contexts", named: name) { entry in
            var body = entry["context"] ?? .emptyObject
            body["cluster"] = .string(cluster)
            body["user"] = .string(user)
            if let namespace { body["namespace"] = JSON.optionalString(namespace) }
            entry["context"] = body
        }
        if let server {
            upsert("clusters", named: cluster) { entry in
                var body = entry["cluster"] ?? .emptyObject
                body["server"] = .string(server)
                entry["cluster"] = body
            }
        } else if self.entry("clusters", named: cluster) == nil {
            upsert("clusters", named: cluster) { $0["cluster"] = .emptyObject }
        }
        if let token {
            upsert("users", named: user) { entry in
                var body = entry["user"] ?? .emptyObject
                body["token"] = JSON.optionalString(token)
                entry["user"] = body
            }
        } else if self.entry("users", named: user) == nil {
            upsert("users", named: user) { $0["user"] = .emptyObject }
        }
        return existed
    }

    mutating func deleteContext(name: String) -> Bool {
        let items = entries("contexts")
        let kept = items.filter { $0["name"]?.stringValue != name }
        guard kept.count != items.count else { return false }
        document["contexts"] = .array(kept)
        if currentContext == name { document["current-context"] = "" }
        return true
    }

    /// The document with tokens hidden, as `config view` prints it unless `--raw`.
    var redacted: JSON {
        var doc = document
        doc["users"] = .array(
            entries("users").map { user in
                var user = user
                if user["user"]?["token"] != nil { user["user"]?["token"] = "REDACTED" }
                return user
            })
        return doc
    }
}

extension JSON {
    /// A string value, or no value for an empty string (which removes a config field).
    static func optionalString(_ text: String) -> JSON? {
        if text.isEmpty { return Optional<JSON>.none }
        return JSON.string(text)
    }
}
