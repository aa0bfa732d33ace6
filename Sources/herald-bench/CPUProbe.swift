/// A fixed piece of single-core work, timed: this shared machine runs 20–50 % slower in some
/// minutes than in others, and every figure of a run moves with it. Printed beside the figures,
/// it says which kind of minute a run had (lower is faster; runs compare only on one machine).
enum CPUProbe {
    /// Seconds for 200 million xorshift steps, the best of three tries.
    static func seconds() -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = now()
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            var sum: UInt64 = 0
            for _ in 0..<200_000_000 {
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
                sum &+= x
            }
            best = min(best, now() - start)
            // Keeps the loop from being optimized away.
            if sum == 42 { print("") }
        }
        return best
    }
}
