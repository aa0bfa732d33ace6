import HeraldAPI

/// A fixed piece of single-core work like Herald's own, timed: this shared machine runs 20–50 %
/// slower in some minutes than in others, and every figure of a run moves with it. Printed
/// beside the figures, it says which kind of minute a run had (lower is faster; runs compare
/// only on one machine).
enum CPUProbe {
    /// Seconds to parse and write a delivery job 20,000 times (allocation, hashing, branches: a
    /// tight arithmetic loop barely felt the slow minutes), the best of three tries.
    static func seconds() -> Double {
        let job = WorkersBench.sampleJob().encoded()
        var best = Double.infinity
        for _ in 0..<3 {
            let start = now()
            var bytes = 0
            for _ in 0..<20_000 {
                guard let parsed = try? JSON.parse(job) else { return .nan }
                bytes &+= parsed.serialized().count
            }
            best = min(best, now() - start)
            // Keeps the loop from being optimized away.
            if bytes == 42 { print("") }
        }
        return best
    }
}
