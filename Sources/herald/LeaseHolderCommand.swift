import ArgumentParser
import Foundation
import HeraldAPI
import Store

/// `herald lease-holder` (hidden): contends for a store lease and keeps renewing it, printing one
/// line per transition. The lease tests run two of these and kill the holder with SIGKILL to see
/// the other take over after expiry; operators can use it to check leader election on a store.
struct LeaseHolderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease-holder",
        abstract: "Hold a store lease until killed, printing acquired/renewed/lost lines (for tests).",
        shouldDisplay: false)

    @OptionGroup var options: ServerOptions

    @Option(help: "Lease name.") var name = ControllerConventions.leaseName
    @Option(help: "Holder identity (default: host name and process id).") var holder = "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    @Option(help: "Lease duration in seconds; the holder renews every third of it.") var duration = 15.0

    func run() async throws {
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        let store = try options.openStore()
        if let postgres = store as? PostgresStore { try await postgres.waitUntilReady() }
        say("contending \(name) as \(holder)")
        var lease: Lease?
        while !Task.isCancelled {
            do {
                if let held = lease {
                    lease = try await store.renewLease(held, now: Date())
                    say(lease.map { "renewed \($0.version)" } ?? "lost \(held.version)")
                } else {
                    lease = try await store.acquireLease(name, holder: holder, duration: duration, now: Date())
                    if let lease { say("acquired \(lease.version)") }
                }
            } catch {
                // Store trouble: keep the lease in hand and retry; if it expires meanwhile, renew fails.
                say("error \(error)")
            }
            try await Task.sleep(for: .seconds(lease == nil ? duration / 10 : duration / 3))
        }
    }

    /// Unbuffered, so a parent reading the pipe sees each line at once.
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
