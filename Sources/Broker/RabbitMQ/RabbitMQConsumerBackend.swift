struct RabbitMQConsumerBackend: ConsumerBackend {
    let loop: ConnectionLoop<ConsumerSession>
    let id: UInt64
    let queue: String
    let shared: ConsumerShared

    var mailbox: DeliveryMailbox { shared.mailbox }

    func isCurrent(_ delivery: Delivery) -> Bool {
        delivery.generation == shared.generation.load(ordering: .acquiring)
    }

    // AMQP acks have no reply; waiting until the thread has written one is what lets a caller
    // count the delivery as done (a process killed after that does not get it again).
    func ack(_ delivery: Delivery, multiple: Bool) async throws {
        let accepted = await withCheckedContinuation { (written: CheckedContinuation<Bool, Never>) in
            let command = ConsumerSession.Command.ack(
                id: id, tag: delivery.deliveryTag, multiple: multiple, generation: delivery.generation, written: written)
            if !loop.inbox.send(command) { written.resume(returning: false) }
        }
        guard accepted else { throw BrokerError.shutdown }
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
