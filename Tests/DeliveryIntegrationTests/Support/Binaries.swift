import Foundation

/// Finds the built `herald` executable. `swift build --build-tests` (scripts/test.sh) builds it
/// into the same directory as the test bundle; `HERALD_BIN_DIR` overrides.
enum Binaries {
    static func herald() throws -> String {
        var candidates: [URL] = []
        if let dir = IntegrationEnvironment.variables["HERALD_BIN_DIR"], !dir.isEmpty {
            candidates.append(URL(fileURLWithPath: dir))
        }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(testBinary.deletingLastPathComponent())
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for dir in candidates {
            let path = dir.appendingPathComponent("herald").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw IntegrationFailure(
            "the herald executable was not found in \(candidates.map(\.path)); run `swift build --build-tests` first (it builds herald) or set HERALD_BIN_DIR"
        )
    }
}
