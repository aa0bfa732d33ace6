import Logging
import Synchronization

/// Acknowledges a consumer's deliveries with as few acks as an ``AckWindow`` allows, sending
/// them in the order they were decided (a `multiple` ack overtaking an earlier one would make
/// the earlier one name a tag the server no longer knows, which closes the channel).
///
/// Call ``received(_:)`` for every delivery as it is taken from the consumer and
/// ``completed(_:)`` once its work is durable; run ``run()`` in a task for the consumer's lifetime.
public final class AckCoalescer: Sendable {
    private let consumer: BrokerConsumer
    private let window: Mutex<AckWindow>
    private let actions: AsyncStream<AckWindow.Action>
    private let sink: AsyncStream<AckWindow.Action>.Continuation
    private let logger: Logger

    public init(consumer: BrokerConsumer, maxHeldBack: Int, logger: Logger) {
        self.consumer = consumer
        window = Mutex(AckWindow(maxHeldBack: maxHeldBack))
        (actions, sink) = AsyncStream.makeStream()
        self.logger = logger
    }

    public func received(_ delivery: Delivery) {
        window.withLock { $0.received(delivery) }
    }

    public func completed(_ delivery: Delivery) {
        // Yielding under the lock keeps decision order; the stream has no termination handler,
        // so this cannot wait on anything that takes the lock.
        window.withLock { w in
            let action = w.completed(delivery)
            if action != .none { sink.yield(action) }
        }
    }

    /// Sends the acks until ``finish()``; an ack that fails is left to the server, which
    /// redelivers what was not acknowledged (at-least-once).
    public func run() async {
        for await action in actions {
            do {
                switch action {
                case .multiple(let d): try await consumer.ack(d, multiple: true)
                case .single(let d): try await consumer.ack(d)
                case .none: break
                }
            } catch {
                logger.debug("ack not sent; the broker will redeliver", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Ends ``run()`` after the acks decided so far are sent.
    public func finish() {
        sink.finish()
    }
}
