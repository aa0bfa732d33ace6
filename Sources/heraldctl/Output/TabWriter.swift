/// A port of Go's `text/tabwriter` layout (without flags), which kubectl prints every table and
/// `describe` through: lines are split into tab-terminated cells; the cells of one column are
/// aligned across each block of consecutive lines that have that column; the last cell of a line
/// is never padded. Emulating it keeps heraldctl's output identical to kubectl's.
struct TabWriter: Sendable {
    var minWidth: Int
    var padding: Int

    init(minWidth: Int, padding: Int) {
        self.minWidth = minWidth
        self.padding = padding
    }

    /// Formats text whose cells are separated by `\t`.
    func format(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        let endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { lines.removeLast() }
        let out = format(lines: lines)
        return out.joined(separator: "\n") + (endsWithNewline ? "\n" : "")
    }

    /// Formats pre-split lines; answers the lines without newlines.
    func format(lines: [[String]]) -> [String] {
        var widths: [Int] = []
        var out: [String] = Array(repeating: "", count: lines.count)
        layout(lines, 0, lines.count, &widths, &out)
        return out
    }

    private func layout(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: inout [Int], _ out: inout [String]) {
        var line0 = start
        let column = widths.count
        var this = start
        while this < end {
            if column >= lines[this].count - 1 {
                this += 1
                continue
            }
            // A block of lines having a cell in this column begins here.
            write(lines, line0, this, widths, &out)
            line0 = this
            var width = minWidth
            while this < end, column < lines[this].count - 1 {
                width = max(width, TableLayout.displayWidth(lines[this][column]) + padding)
                this += 1
            }
            widths.append(width)
            layout(lines, line0, this, &widths, &out)
            widths.removeLast()
            line0 = this
        }
        write(lines, line0, end, widths, &out)
    }

    private func write(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: [Int], _ out: inout [String]) {
        guard start < end else { return }
        for index in start..<end {
            var text = ""
            let cells = lines[index]
            for (j, cell) in cells.enumerated() {
                text += cell
                if j < cells.count - 1, j < widths.count {
                    text += String(repeating: " ", count: max(0, widths[j] - TableLayout.displayWidth(cell)))
                }
            }
            out[index] = text
        }
    }
}
