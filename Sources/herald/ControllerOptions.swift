import ArgumentParser

/// Flags of the roles that run the controller (`controller`, `serve`).
struct ControllerOptions: ParsableArguments {
    @Option(
        name: .customLong("notification-workers"),
        help: ArgumentHelp(
            "Notifications reconciled at once (default: \(Self.remoteStoreDefault) on PostgreSQL, \(Self.embeddedStoreDefault) on the embedded store).",
            valueName: "n"))
    var notificationWorkers: Int?

    /// A reconcile that creates deliveries waits for about three store commits in a row. On
    /// PostgreSQL each is a network round trip behind other processes' commits (a p50 of about
    /// 80 ms for the creating commit in a busy delivery benchmark), so reconciles in flight are
    /// what keep the burst moving (Little's law). Against 64, over 27 alternated benchmark pairs:
    /// faster in 17 (mean +3 %), and a burst's p99 apply→Delivered of 3.0-3.2 s against 3.7-4.2 s
    /// (8 of 8 pairs where it was printed); more controller CPU, less RabbitMQ and worker CPU. The
    /// embedded store commits in-process: there 256 only cost CPU (3 of 3 pairs).
    static let remoteStoreDefault = 256
    static let embeddedStoreDefault = 64

    func validate() throws {
        if let notificationWorkers, notificationWorkers < 1 {
            throw ValidationError("--notification-workers must be 1 or more, got \(notificationWorkers)")
        }
    }

    /// The flag's value, or the default for the store the role runs on.
    func notificationWorkers(on store: ServerOptions) -> Int {
        notificationWorkers ?? (store.isPostgres ? Self.remoteStoreDefault : Self.embeddedStoreDefault)
    }
}
