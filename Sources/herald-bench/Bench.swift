import ArgumentParser

@main
struct HeraldBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-bench",
        abstract: "Herald's benchmarks (build with -c release).",
        subcommands: [APIBench.self, StoreComparison.self, WorkersBench.self, DeliveryBench.self, SinkCommand.self],
        defaultSubcommand: APIBench.self)
}
