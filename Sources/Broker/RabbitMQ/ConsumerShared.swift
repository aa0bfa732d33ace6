import Synchronization

/// What a subscription shares between its connection thread and the tasks using it.
final class ConsumerShared: Sendable {
    let mailbox = DeliveryMailbox()
    /// Generation of the current server-side subscription; bumps on every (re)subscribe.
    let generation = Atomic<UInt64>(0)
}
