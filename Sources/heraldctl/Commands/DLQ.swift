import ArgumentParser

/// `heraldctl dlq`: the dead letters, i.e. the Deliveries that failed permanently or ran out of
/// attempts (phase Failed), and redriving them.
struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, inspect and redrive dead letters (failed deliveries).",
        discussion: """
            A dead letter is a Delivery in phase Failed: it failed permanently or used up its
            attempts. The Delivery resources are Herald's record of them; RabbitMQ's herald.failed
            queue keeps the broker's copy of each job for operators.
            Examples:
              heraldctl dlq list
              heraldctl dlq list -A --notification welcome -o wide
              heraldctl dlq show welcome-ada-1a2b3c4d5e-0
              heraldctl dlq redrive welcome-ada-1a2b3c4d5e-0
              heraldctl dlq redrive --all --notification welcome --dry-run
            """,
        subcommands: [DLQList.self, DLQShow.self, DLQRedrive.self])
}
