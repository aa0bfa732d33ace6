struct EmbeddedConsumerBackend: ConsumerBackend {
    let core: EmbeddedCore
    let id: UInt64
    let queue: String
    let mailbox: DeliveryMailbox

    func isCurrent(_ delivery: Delivery) -> Bool { true }

    func ack(_ delivery: Delivery, multiple: Bool) async throws {
        try await core.ack(consumer: id, tag: delivery.deliveryTag, multiple: multiple)
    }

    func nack(_ delivery: Delivery, requeue: Bool, multiple: Bool) async throws {
        try await core.nack(consumer: id, tag: delivery.deliveryTag, requeue: requeue, multiple: multiple)
    }

    func cancel() async {
        await core.cancel(consumer: id)
    }
}
