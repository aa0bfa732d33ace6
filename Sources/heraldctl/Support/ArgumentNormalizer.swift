/// Rewrites kubectl-style spellings that swift-argument-parser does not accept natively, so users'
/// habits carry over: `-oyaml` and `-o=yaml`, `--wait=false`, and global flags written before the
/// subcommand (`heraldctl -n ops get notif`).
enum ArgumentNormalizer {
    /// Short options that take a value.
    static let shortValueOptions: Set<Character> = ["o", "n", "l", "f", "p"]
    /// Boolean flags whose default is true, declared with a `--no-` inversion.
    static let defaultTrueFlags: Set<String> = ["wait"]
    /// Boolean flags whose default is false.
    static let defaultFalseFlags: Set<String> = [
        "ignore-not-found", "server-side", "force-conflicts", "all", "all-namespaces", "watch", "show-labels",
        "recursive", "prune", "client", "raw", "current", "watch-only", "include-redriven",
    ]
    /// Global options (with a value) that may come before the subcommand.
    static let globalValueOptions: Set<String> = ["--server", "--token", "--namespace", "-n", "--context", "--request-timeout"]

    static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var afterTerminator = false
        for arg in arguments {
            if afterTerminator || arg == "--" {
                afterTerminator = true
                out.append(arg)
                continue
            }
            out.append(contentsOf: rewrite(arg))
        }
        return hoistGlobals(out)
    }

    static func rewrite(_ arg: String) -> [String] {
        if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
            let name = String(arg[arg.index(arg.startIndex, offsetBy: 2)..<eq])
            let value = arg[arg.index(after: eq)...].lowercased()
            if defaultTrueFlags.contains(name) || defaultFalseFlags.contains(name), value == "true" || value == "false" {
                if value == "true" { return ["--\(name)"] }
                return defaultTrueFlags.contains(name) ? ["--no-\(name)"] : []
            }
            return [arg]
        }
        let chars = Array(arg)
        if chars.count > 2, chars[0] == "-", chars[1] != "-", shortValueOptions.contains(chars[1]) {
            let rest = chars[2] == "=" ? String(chars.dropFirst(3)) : String(chars.dropFirst(2))
            return ["-\(chars[1])", rest]
        }
        return [arg]
    }

    /// Moves global options found before the first positional word (the subcommand) to the end,
    /// where the subcommand's option group reads them.
    static func hoistGlobals(_ arguments: [String]) -> [String] {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let arg = arguments[index]
            if globalValueOptions.contains(arg), index + 1 < arguments.count {
                hoisted.append(contentsOf: [arg, arguments[index + 1]])
                index += 2
            } else if let eq = arg.firstIndex(of: "="), globalValueOptions.contains(String(arg[..<eq])) {
                hoisted.append(arg)
                index += 1
            } else {
                break
            }
        }
        guard !hoisted.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        if let terminator = rest.firstIndex(of: "--") {
            rest.insert(contentsOf: hoisted, at: terminator)
        } else {
            rest.append(contentsOf: hoisted)
        }
        return rest
    }
}
