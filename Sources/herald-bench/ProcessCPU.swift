import Foundation

/// CPU time read from /proc: what the steadiest benchmark figure (CPU per operation) is made of.
enum ProcessCPU {
    /// The fields of /proc/PID/stat after the command name, or nil when the process is gone.
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // The first field after ")" is field 3 (state): ppid is 4, utime 14, stime 15, cutime 16, cstime 17.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 14 ? fields : nil
    }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User + system seconds of one process.
    static func seconds(pid: Int32) -> Double {
        guard let f = statFields(pid), let user = Double(f[11]), let system = Double(f[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// User + system seconds of `roots` and all their descendants, including children that have
    /// exited and been reaped (a server's short-lived workers count too).
    static func treeSeconds(roots: [Int32]) -> Double {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var parent: [Int32: Int32] = [:]
        var own: [Int32: Double] = [:]
        for entry in entries {
            guard let pid = Int32(entry), let f = statFields(pid), let ppid = Int32(f[1]) else { continue }
            let ticks = [f[11], f[12], f[13], f[14]].compactMap { Double($0) }.reduce(0, +)
            parent[pid] = ppid
            own[pid] = ticks
        }
        let rootSet = Set(roots)
        var total = 0.0
        for (pid, ticks) in own {
            var p: Int32? = pid
            var hops = 0
            while let current = p, hops < 64 {
                if rootSet.contains(current) {
                    total += ticks
                    break
                }
                p = parent[current]
                hops += 1
            }
        }
        return total / ticksPerSecond
    }
}
