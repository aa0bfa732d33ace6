import ArgumentParser
import Foundation

// Entry point: parse (after rewriting kubectl-style spellings), run, and turn errors into
// kubectl's wording and exit status.
let normalizedArguments = ArgumentNormalizer.normalize(Array(CommandLine.arguments.dropFirst()))
do {
    var command = try Heraldctl.parseAsRoot(normalizedArguments)
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.runAsync()
    } else {
        try command.run()
    }
} catch let error as CLIError {
    if let text = error.rendered { Console.error(text) }
    exit(error.exitCode)
} catch {
    Heraldctl.exit(withError: error)
}

extension AsyncParsableCommand {
    /// Calls the async `run()`: on an existential, a plain `run()` call resolves to the
    /// synchronous requirement, which only prints help.
    mutating func runAsync() async throws {
        let run: (inout Self) async throws -> Void = { try await $0.run() }
        try await run(&self)
    }
}
