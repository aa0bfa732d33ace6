struct RabbitMQConsumerBackend: ConsumerBackend {
    let loop: ConnectionLoop<ConsumerSession>
    let id: UInt64
    let queue: String
    let shared: ConsumerShared

    var mailbox: DeliveryMailbox { shared.mailbox }

    func isCurrent(_ delivery: Delivery) -> Bool {
        delivery.generation == shared.generation.load(ordering: .acquiring)
    }

    // Acks are fire-and-forget in AMQP (no reply), so they only need to reach the thread.
    func ack(_ delivery: Delivery, multiple: Bool) async throws {
        guard loop.inbox.send(.ack(id: id, tag: delivery.deliveryTag, multiple: multiple, generation: delivery.generation))
        else { throw BrokerError.shutdown }
    }

    func nack(_ delivery: Delivery, requeue: Bool, multiple: Bool) async throws {
        let command = ConsumerSession.Command.nack(
            id: id, tag: delivery.deliveryTag, multiple: multiple, requeue: requeue, generation: delivery.generation)
        guard loop.inbox.send(command) else { throw BrokerError.shutdown }
    }

    func cancel() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !loop.inbox.send(.cancel(id: id, done: continuation)) {
                continuation.resume()
            }
        }
    }
}
