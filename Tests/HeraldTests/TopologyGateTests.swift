import Broker
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import herald

/// `TopologyGate` in a `ServiceGroup` like the worker's and the controller's: the broker first,
/// the gated service last. Nothing listens on port 1, so RabbitMQ is never reachable.
@Suite(.timeLimit(.minutes(1)))
struct TopologyGateTests {
    /// Records whether it ran; otherwise waits for graceful shutdown like a real service.
    final class RecordingService: Service {
        private let started = Atomic<Bool>(false)
        var hasStarted: Bool { started.load(ordering: .relaxed) }

        func run() async throws {
            started.store(true, ordering: .relaxed)
            try? await gracefulShutdown()
        }
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }

    @Test func gracefulShutdownEndsTheWaitForAnUnreachableBroker() async throws {
        var logger = Logger(label: "test.gate")
        logger.logLevel = .critical
        var configuration = try RabbitMQConfiguration(url: "amqp://guest:guest@127.0.0.1:1/")
        configuration.reconnectBackoff = ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(50))
        let broker = try RabbitMQBroker(configuration: configuration, logger: logger)
        let service = RecordingService()
        let group = ServiceGroup(
            services: [broker, TopologyGate(broker: broker, service: service, logger: logger)], logger: logger)
        // Not a child task: if shutdown hung, the test would hang with it instead of failing.
        let finished = Flag()
        let running = Task {
            try await group.run()
            finished.set()
        }
        try await Task.sleep(for: .milliseconds(500))
        await group.triggerGracefulShutdown()
        let deadline = ContinuousClock.now + .seconds(5)
        while !finished.isSet, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let stopped = finished.isSet
        #expect(stopped, "the service group did not shut down within 5 s of graceful shutdown")
        if stopped { try await running.value }
        #expect(!service.hasStarted, "the gated service started without a topology")
    }

    @Test func theServiceRunsOnceTheTopologyIsDeclared() async throws {
        var logger = Logger(label: "test.gate")
        logger.logLevel = .critical
        let broker = EmbeddedBroker()
        let service = RecordingService()
        let group = ServiceGroup(
            services: [broker, TopologyGate(broker: broker, service: service, logger: logger)], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(10)
            while !service.hasStarted, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(service.hasStarted)
    }
}
