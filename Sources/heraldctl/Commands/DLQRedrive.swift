import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl dlq redrive`: asks the controller for a new attempt at chosen dead letters. The
/// request is two annotations on each Delivery (when, and who); the controller, the only one
/// that decides what to send, creates a replacement Delivery for that (recipient, channel) alone
/// and records who asked in an Event.
struct DLQRedrive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Start a new delivery for chosen dead letters (Failed deliveries); records who asked.",
        discussion: """
            Examples:
              heraldctl dlq redrive welcome-ada-1a2b3c4d5e-0
              heraldctl dlq redrive --all --notification welcome
              heraldctl dlq redrive --all --dry-run --as alice
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Dead letters (Failed Delivery names) to redrive.")
    var names: [String] = []

    @Flag(help: "Redrive every dead letter of the namespace not yet redriven.")
    var all = false

    @Option(help: "With --all: only the dead letters of this Notification.")
    var notification: String?

    @Flag(name: .customLong("dry-run"), help: "Say what would be redriven; change nothing.")
    var dryRun = false

    @Option(name: .customLong("as"), help: "Who is asking, for the Event (default: the context's user, or $USER@hostname).")
    var requester: String?

    func validate() throws {
        if all && !names.isEmpty { throw ValidationError("name dead letters or use --all, not both") }
        if !all && names.isEmpty { throw ValidationError("name at least one dead letter to redrive, or use --all") }
        if notification != nil && !all { throw ValidationError("--notification goes with --all") }
    }

    func run() async throws {
        let session = try global.session()
        let who = Requester.current(explicit: requester, session: session)
        try await session.run { (session) throws(CLIError) in
            var failures: [CLIError] = []
            var targets: [DeadLetter] = []
            if all {
                targets = try await DeadLetters.list(
                    session, allNamespaces: false, notification: notification, channel: nil, includeRedriven: false)
                if targets.isEmpty {
                    Console.error("No dead letters to redrive in \(session.namespace) namespace.")
                    return
                }
            } else {
                for name in names {
                    do throws(CLIError) {
                        targets.append(try await DeadLetters.get(session, name: name))
                    } catch {
                        failures.append(error)
                    }
                }
            }
            for letter in targets {
                do throws(CLIError) {
                    try await request(letter, by: who, session: session)
                } catch {
                    failures.append(error)
                }
            }
            try Get.report(failures)
        }
    }

    /// Refuses what cannot be redriven, then writes the request with the resourceVersion it
    /// checked, so the check and the write see the same Delivery (a conflict checks again).
    func request(_ first: DeadLetter, by who: String, session: Session) async throws(CLIError) {
        var letter = first
        for _ in 0..<3 {
            try Self.check(letter)
            let display = "\(DeadLetters.qualifiedKind)/\(letter.name)"
            if dryRun {
                Console.line("\(display) would be redriven (dry run)")
                return
            }
            let patch: JSON = [
                "metadata": [
                    "resourceVersion": .string(letter.object["metadata"]?["resourceVersion"]?.stringValue ?? ""),
                    "annotations": [
                        DeliveryRedrive.requestedAtAnnotation: .string(Self.timestamp(Date())),
                        DeliveryRedrive.requestedByAnnotation: .string(who),
                    ],
                ]
            ]
            do throws(CLIError) {
                _ = try await session.client.request(
                    .PATCH, DeadLetters.itemPath(namespace: session.namespace, name: letter.name),
                    query: [("fieldManager", "heraldctl-dlq")], contentType: "application/merge-patch+json", body: patch)
                Console.line("\(display) redrive requested by \(who)")
                return
            } catch let error where error.isConflict {
                letter = try await DeadLetters.get(session, name: letter.name)
            }
        }
        throw .message("delivery \"\(letter.name)\" kept changing while the redrive was being requested; try again")
    }

    static func check(_ letter: DeadLetter) throws(CLIError) {
        guard letter.isFailed else {
            throw .message(
                "delivery \"\(letter.name)\" is \(letter.phase.isEmpty ? "not yet started" : letter.phase): only Failed deliveries (dead letters) can be redriven"
            )
        }
        if letter.isRedriven {
            throw .message("delivery \"\(letter.name)\" was already redriven as \(letter.redrivenTo ?? "another delivery")")
        }
    }

    /// Milliseconds, so two requests in the same second are still two requests.
    static func timestamp(_ date: Date) -> String {
        let text = Timestamp.format(date)
        let millis = Int((date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)) * 1000)
        let digits = String(millis)
        return text.dropLast() + "." + String(repeating: "0", count: max(0, 3 - digits.count)) + digits + "Z"
    }
}
