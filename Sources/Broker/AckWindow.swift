/// Which acknowledgements to send for deliveries that complete out of order, as few as possible:
/// one `multiple` ack covers every delivery up to the oldest one still running. So that a slow
/// delivery does not hold finished ones unacknowledged (they count against the prefetch),
/// past `maxHeldBack` finished deliveries are acknowledged one by one.
///
/// A pure value: ``AckCoalescer`` applies its decisions to a consumer in order.
public struct AckWindow: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        /// Ack this delivery with `multiple: true`.
        case multiple(Delivery)
        /// Ack this delivery alone.
        case single(Delivery)
    }

    private var generation: UInt64?
    /// Tags in the order they were received; `head` is the oldest not yet acknowledged.
    private var order: [UInt64] = []
    private var head = 0
    /// Finished, not acknowledged yet.
    private var done: [UInt64: Delivery] = [:]
    /// Acknowledged alone while older ones were still running.
    private var ackedAlone: Set<UInt64> = []
    public let maxHeldBack: Int

    public init(maxHeldBack: Int) {
        self.maxHeldBack = max(0, maxHeldBack)
    }

    /// Deliveries not acknowledged yet (running or finished).
    public var outstanding: Int { order.count - head - ackedAlone.count }

    /// Call for every delivery, in the order the consumer hands them out.
    public mutating func received(_ delivery: Delivery) {
        if delivery.generation != generation {
            // A new subscription after a reconnect: tags restart, and the server redelivers
            // whatever the old one had not seen acknowledged.
            self = AckWindow(maxHeldBack: maxHeldBack)
            generation = delivery.generation
        }
        order.append(delivery.deliveryTag)
    }

    /// Call when `delivery`'s work is done and may be acknowledged.
    public mutating func completed(_ delivery: Delivery) -> Action {
        guard delivery.generation == generation else { return .none }
        let tag = delivery.deliveryTag
        done[tag] = delivery
        var last: Delivery?
        while head < order.count {
            let t = order[head]
            if let d = done.removeValue(forKey: t) {
                last = d
            } else if ackedAlone.remove(t) == nil {
                break
            }
            head += 1
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        // The newest finished delivery of the prefix is still unacknowledged (not in
        // `ackedAlone`), so a multiple ack up to it never names a tag the server has forgotten.
        if let last { return .multiple(last) }
        if done.count > maxHeldBack, let d = done.removeValue(forKey: tag) {
            ackedAlone.insert(tag)
            return .single(d)
        }
        return .none
    }
}
