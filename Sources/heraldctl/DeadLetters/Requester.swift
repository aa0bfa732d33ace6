import Foundation

/// Who asks for a redrive, for the Event that records it: `--as`, else the user of the config
/// context in use, else `$USER@hostname`. Herald's API does not tell clients who they are
/// authenticated as, so the client names the person; the Event is an audit aid, not a control.
enum Requester {
    static func resolve(explicit: String?, contextUser: String?, environment: [String: String], hostName: String) -> String {
        if let explicit = explicit?.trimmingCharacters(in: .whitespaces), !explicit.isEmpty { return explicit }
        if let contextUser, !contextUser.isEmpty { return contextUser }
        let user = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["LOGNAME"].flatMap { $0.isEmpty ? nil : $0 }
        let host = hostName.split(separator: ".").first.map(String.init) ?? hostName
        return "\(user ?? "unknown")@\(host.isEmpty ? "localhost" : host)"
    }

    static func current(explicit: String?, session: Session) -> String {
        resolve(
            explicit: explicit, contextUser: session.contextUser, environment: ProcessInfo.processInfo.environment,
            hostName: ProcessInfo.processInfo.hostName)
    }
}
