import Foundation

/// The whole machine's CPU time from /proc/stat: whether a run kept every CPU busy, which tells
/// a CPU-bound figure from one that waited.
struct MachineCPU {
    var busy: Double
    var total: Double

    static func now() -> MachineCPU {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice", in ticks.
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return MachineCPU(busy: 0, total: 0) }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard ticks.count == 8 else { return MachineCPU(busy: 0, total: 0) }
        let total = ticks.reduce(0, +)
        return MachineCPU(busy: total - ticks[3] - ticks[4], total: total)
    }

    /// The busy share of all CPUs since `earlier`, 0 to 1.
    func busyShare(since earlier: MachineCPU) -> Double {
        let total = self.total - earlier.total
        return total > 0 ? (busy - earlier.busy) / total : 0
    }
}
