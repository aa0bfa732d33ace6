import ArgumentParser

@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Herald, a declarative notification controller.",
        subcommands: [Serve.self, APIServerCommand.self, ControllerCommand.self, WorkerCommand.self, LeaseHolderCommand.self],
        defaultSubcommand: Serve.self)
}
