import Foundation

/// Unbuffered writes to stdout and stderr. Watches print rows as events arrive, and errors must
/// interleave with normal output in the order they happen, so nothing waits in a buffer.
enum Console {
    static func out(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func line(_ text: String) {
        out(text + "\n")
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func warning(_ text: String) {
        error("Warning: \(text)")
    }

    /// Reads all of standard input (for `-f -`).
    static func readStandardInput() -> [UInt8] {
        Array(FileHandle.standardInput.readDataToEndOfFile())
    }
}
