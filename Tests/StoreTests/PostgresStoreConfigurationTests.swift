import Testing

@testable import Store

@Suite("PostgreSQL store URL")
struct PostgresStoreConfigurationTests {
    @Test func windowsAndTheirDefaults() throws {
        let defaults = try PostgresStoreConfiguration(url: "postgres://herald:secret@127.0.0.1:5432/herald")
        #expect(defaults.watchWindow == 50_000)
        #expect(defaults.memoryWindow == 10_000)
        let set = try PostgresStoreConfiguration(url: "postgres://herald@db/herald?watch_window=200000&memory_window=2000")
        #expect(set.watchWindow == 200_000)
        #expect(set.memoryWindow == 2000)
    }

    @Test func aBadParameterSaysWhatIsAccepted() {
        #expect(throws: PostgresConfigurationError.self) { _ = try PostgresStoreConfiguration(url: "postgres://h@db/x?memory_window=0") }
        do {
            _ = try PostgresStoreConfiguration(url: "postgres://h@db/x?memorywindow=5")
            Issue.record("an unknown parameter was accepted")
        } catch {
            #expect("\(error)".contains("memory_window"))
        }
    }
}
