import Dispatch

/// A task executor with a serial dispatch queue of its own, for a short loop that many callers
/// wait on (a store's group commit). On the shared cooperative pool each of its resumptions (one
/// per database round trip) queues behind whatever else is runnable, and every caller waits for
/// that too; on its own queue the loop runs as soon as its answer arrives.
public final class SerialQueueExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
