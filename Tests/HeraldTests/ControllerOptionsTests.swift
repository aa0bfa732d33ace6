import Testing

@testable import herald

/// `--notification-workers`: how many Notifications the controller reconciles at once, by
/// default more on PostgreSQL, whose commits are round trips, than on the embedded store.
struct ControllerOptionsTests {
    static let postgres = "postgres://herald:secret@127.0.0.1:5432/herald"

    @Test func theDefaultFollowsTheStore() throws {
        let embedded = try ControllerCommand.parse(["--store", ""])
        #expect(embedded.controllerOptions.notificationWorkers(on: embedded.options) == ControllerOptions.embeddedStoreDefault)
        let remote = try ControllerCommand.parse(["--store", Self.postgres])
        #expect(remote.controllerOptions.notificationWorkers(on: remote.options) == ControllerOptions.remoteStoreDefault)
        let sqlitePath = try Serve.parse(["--store", "sqlite:/tmp/herald-options-test"])
        #expect(sqlitePath.controllerOptions.notificationWorkers(on: sqlitePath.options) == ControllerOptions.embeddedStoreDefault)
        #expect(ControllerOptions.remoteStoreDefault > ControllerOptions.embeddedStoreDefault)
    }

    @Test func theFlagWinsOnEitherStore() throws {
        for store in ["", Self.postgres] {
            let controller = try ControllerCommand.parse(["--store", store, "--notification-workers", "12"])
            #expect(controller.controllerOptions.notificationWorkers(on: controller.options) == 12)
            let serve = try Serve.parse(["--store", store, "--notification-workers", "3"])
            #expect(serve.controllerOptions.notificationWorkers(on: serve.options) == 3)
        }
    }

    @Test func fewerThanOneIsRefusedWithTheFlagsName() {
        for value in ["0", "-4"] {
            #expect {
                _ = try ControllerCommand.parse(["--notification-workers=\(value)"])
            } throws: { error in
                ControllerCommand.message(for: error).contains("--notification-workers must be 1 or more")
            }
        }
        #expect(throws: (any Error).self) { _ = try Serve.parse(["--notification-workers", "many"]) }
    }
}
