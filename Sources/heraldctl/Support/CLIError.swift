import HeraldAPI

/// Every failure heraldctl reports. Each case knows how kubectl would word it and which exit
/// status it ends the process with, so commands only decide *what* went wrong.
enum CLIError: Error, Sendable {
    /// A client-side problem, printed as `error: <message>`.
    case message(String)
    /// A `metav1.Status` answer, printed as `Error from server (<reason>): [<action>: ]<message>`.
    case server(ServerStatus, action: String?)
    /// The server could not be reached; printed verbatim, as kubectl does.
    case connection(String)
    /// A waiting command ran out of time: `error: timed out waiting for the condition on <what>`.
    case timedOut(String)
    /// Errors already printed (one per object of a multi-object command), or a bare status
    /// such as `diff`'s 1; nothing more is printed.
    case exit(Int32)

    static func server(_ status: ServerStatus) -> CLIError { .server(status, action: nil) }

    /// The text printed on stderr, or nil when there is nothing to print.
    var rendered: String? {
        switch self {
        case .message(let text): return "error: \(text)"
        case .server(let status, let action): return status.rendered(action: action)
        case .connection(let text): return text
        case .timedOut(let what): return "error: timed out waiting for the condition on \(what)"
        case .exit: return nil
        }
    }

    var exitCode: Int32 {
        if case .exit(let code) = self { return code }
        return 1
    }

    var isNotFound: Bool {
        if case .server(let status, _) = self { return status.code == 404 }
        return false
    }

    /// A watch asked to resume from a version the server no longer keeps.
    var isExpired: Bool {
        if case .server(let status, _) = self { return status.code == 410 }
        return false
    }

    var isConflict: Bool {
        if case .server(let status, _) = self { return status.code == 409 && status.reason == "Conflict" }
        return false
    }
}

/// The Kubernetes `Status` object servers answer errors with.
struct ServerStatus: Sendable, Hashable {
    struct Cause: Sendable, Hashable {
        var reason: String
        var message: String
        var field: String
    }

    var code: Int
    var reason: String
    var message: String
    var kind: String
    var name: String
    var causes: [Cause]

    init(code: Int, reason: String, message: String, kind: String = "", name: String = "", causes: [Cause] = []) {
        self.code = code
        self.reason = reason
        self.message = message
        self.kind = kind
        self.name = name
        self.causes = causes
    }

    /// Reads a Status body; falls back to kubectl's generic wording when the body is not one
    /// (a proxy's HTML page, an empty 404 from a server that lacks the path).
    init(httpStatus: Int, body: [UInt8]) {
        if let json = try? JSON.parse(body), json["kind"]?.stringValue == "Status" {
            let details = json["details"]
            self.init(
                code: json["code"]?.intValue.map(Int.init) ?? httpStatus,
                reason: json["reason"]?.stringValue ?? "",
                message: json["message"]?.stringValue ?? "",
                kind: details?["kind"]?.stringValue ?? "",
                name: details?["name"]?.stringValue ?? "",
                causes: (details?["causes"]?.arrayValue ?? []).map {
                    Cause(
                        reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "",
                        field: $0["field"]?.stringValue ?? "")
                })
            return
        }
        let reason = ServerStatus.reasons[httpStatus] ?? ""
        let message: String
        switch httpStatus {
        case 404: message = "the server could not find the requested resource"
        case 401: message = "the server has asked for the client to provide credentials"
        case 403: message = "forbidden"
        default:
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            message = "an error on the server (\"\(text)\") has prevented the request from succeeding"
        }
        self.init(code: httpStatus, reason: reason, message: message)
    }

    static let reasons: [Int: String] = [
        400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
        406: "NotAcceptable", 409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid",
        429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
    ]

    var isFieldManagerConflict: Bool {
        code == 409 && causes.contains { $0.reason == "FieldManagerConflict" }
    }

    func rendered(action: String?) -> String {
        if code == 422, reason == "Invalid", !kind.isEmpty, !causes.isEmpty {
            // kubectl lists each cause; a single one stays on the headline.
            let lines = causes.map { $0.field.isEmpty ? $0.message : "\($0.field): \($0.message)" }
            if lines.count == 1 { return "The \(kind) \"\(name)\" is invalid: \(lines[0])" }
            return "The \(kind) \"\(name)\" is invalid: \n" + lines.map { "* \($0)" }.joined(separator: "\n")
        }
        if isFieldManagerConflict {
            return "error: \(message)\n" + ServerStatus.conflictHelp
        }
        let prefix = reason.isEmpty ? "Error from server" : "Error from server (\(reason))"
        if let action { return "\(prefix): \(action): \(message)" }
        return "\(prefix): \(message)"
    }

    /// kubectl's advice after a server-side apply conflict, adapted to heraldctl.
    static let conflictHelp = """
        Please review the fields above--they currently have other managers. Here
        are the ways you can resolve this warning:
        * If you intend to manage all of these fields, please re-run the apply
          command with the `--force-conflicts` flag.
        * If you do not intend to manage all of the fields, please edit your
          manifest to remove references to the fields that should keep their
          current managers.
        * You may co-own fields by updating your manifest to match the existing
          value; in this case, you'll become the manager if the other manager(s)
          stop managing the field (remove it from their manifest).
        See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
        """
}
