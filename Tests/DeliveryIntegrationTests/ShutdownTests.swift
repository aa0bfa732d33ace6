import Foundation
import Testing

/// `herald worker` and `herald controller` whose RabbitMQ cannot be reached wait to declare the
/// topology; SIGTERM must still end them promptly (Kubernetes would otherwise SIGKILL the pod
/// at the end of its grace period). Nothing listens on port 1.
@Suite("Herald roles shut down while RabbitMQ is unreachable", .timeLimit(.minutes(2)))
struct ShutdownTests {
    static let unreachableBroker = "amqp://guest:guest@127.0.0.1:1/"

    @Test func workerExitsOnSIGTERM() async throws {
        let processes = try HeraldProcesses("shutdown-worker")
        let worker = try processes.worker(broker: Self.unreachableBroker, server: "http://127.0.0.1:1")
        try await expectPromptExitOnSIGTERM(worker, processes)
    }

    @Test(.enabled(if: IntegrationEnvironment.hasPostgres, IntegrationEnvironment.postgresMissing))
    func controllerExitsOnSIGTERM() async throws {
        let store = try IntegrationEnvironment.postgresStoreURL()
        let processes = try HeraldProcesses("shutdown-controller")
        let controller = try processes.controller(store: store, broker: Self.unreachableBroker)
        try await expectPromptExitOnSIGTERM(controller, processes)
    }

    /// Waits until `process` is retrying its broker connection, sends SIGTERM and expects a clean
    /// exit within 5 s (`stop` sends SIGKILL after that, which the exit status then shows).
    private func expectPromptExitOnSIGTERM(_ process: ChildProcess, _ processes: HeraldProcesses) async throws {
        do {
            try await process.waitForLog("cannot connect to RabbitMQ", timeout: 60)
            // Settled in the declare-and-retry wait.
            try await Task.sleep(for: .seconds(1))
            #expect(process.isRunning)
            let signalled = ContinuousClock.now
            await process.stop(grace: 5)
            let elapsed = ContinuousClock.now - signalled
            #expect(
                process.exitStatus == 0,
                "\(process.name) did not exit cleanly on SIGTERM (status \(String(describing: process.exitStatus)), \(elapsed)):\n\(processes.logs)"
            )
            #expect(elapsed < .seconds(5), "\(process.name) took \(elapsed) to exit after SIGTERM")
        } catch {
            await processes.stopAll()
            throw IntegrationFailure("\(error)\n\(processes.logs)")
        }
        await processes.stopAll()
        try? FileManager.default.removeItem(at: processes.directory)
    }
}
