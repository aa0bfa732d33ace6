import Synchronization

/// The topology once declared, shared by a broker's connections: whichever reconnects declares
/// it again first, in case the server lost it (a new node, or a deleted queue).
final class DeclaredTopology: Sendable {
    private let plan = Mutex<TopologyPlan?>(nil)

    func remember(_ declared: TopologyPlan) {
        plan.withLock { $0 = declared }
    }

    var current: TopologyPlan? { plan.withLock { $0 } }
}
