/// A line-based unified diff (`diff -u` format) for `heraldctl diff`, computed in-process so the
/// command works on machines without a `diff` program.
enum UnifiedDiff {
    enum Operation: Equatable {
        case equal(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// The edit script from `old` to `new` by longest common subsequence; within a change,
    /// deletions come before insertions, as GNU diff prints them.
    static func operations(_ old: [String], _ new: [String]) -> [Operation] {
        let n = old.count
        let m = new.count
        // lcs[i][j]: length of the LCS of old[i...] and new[j...]. Manifests are small, so the
        // quadratic table is fine.
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i][j] = old[i] == new[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
                }
            }
        }
        var ops: [Operation] = []
        var i = 0
        var j = 0
        while i < n || j < m {
            if i < n, j < m, old[i] == new[j] {
                ops.append(.equal(i, j))
                i += 1
                j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                ops.append(.delete(i))
                i += 1
            } else {
                ops.append(.insert(j))
                j += 1
            }
        }
        return ops
    }

    /// The hunks (`@@ -a,b +c,d @@` and their lines), empty when the texts are equal.
    static func hunks(old: [String], new: [String], context: Int = 3) -> [String] {
        let ops = operations(old, new)
        let changed = ops.indices.filter {
            if case .equal = ops[$0] { return false }
            return true
        }
        guard let firstChange = changed.first else { return [] }
        // Group changes whose context windows touch into one hunk.
        var groups: [(Int, Int)] = []
        var start = firstChange
        var end = firstChange
        for index in changed.dropFirst() {
            if index - end - 1 > 2 * context {
                groups.append((start, end))
                start = index
            }
            end = index
        }
        groups.append((start, end))
        var out: [String] = []
        for (first, last) in groups {
            let from = max(0, first - context)
            let to = min(ops.count - 1, last + context)
            var lines: [String] = []
            var oldCount = 0
            var newCount = 0
            // Lines of each side before the hunk: the 0-based index of the hunk's first line.
            var oldBefore = 0
            var newBefore = 0
            for op in ops[..<from] {
                switch op {
                case .equal: oldBefore += 1; newBefore += 1
                case .delete: oldBefore += 1
                case .insert: newBefore += 1
                }
            }
            for op in ops[from...to] {
                switch op {
                case .equal(let i, _):
                    lines.append(" " + old[i])
                    oldCount += 1
                    newCount += 1
                case .delete(let i):
                    lines.append("-" + old[i])
                    oldCount += 1
                case .insert(let j):
                    lines.append("+" + new[j])
                    newCount += 1
                }
            }
            out.append("@@ -\(range(oldBefore, oldCount)) +\(range(newBefore, newCount)) @@")
            out += lines
        }
        return out
    }

    /// GNU diff's range notation: 1-based start, count omitted when 1, start of the preceding
    /// line when the range is empty.
    static func range(_ start: Int, _ count: Int) -> String {
        if count == 0 { return "\(start),0" }
        if count == 1 { return "\(start + 1)" }
        return "\(start + 1),\(count)"
    }

    /// A whole `diff -u -N` style report for one object, or nil when equal.
    static func report(oldName: String, newName: String, old: String, new: String) -> String? {
        let oldLines = splitLines(old)
        let newLines = splitLines(new)
        let hunks = hunks(old: oldLines, new: newLines)
        guard !hunks.isEmpty else { return nil }
        var out = "diff -u -N \(oldName) \(newName)\n--- \(oldName)\n+++ \(newName)\n"
        for line in hunks { out += line + "\n" }
        return out
    }

    static func splitLines(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
