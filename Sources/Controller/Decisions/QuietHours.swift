import Foundation

/// A recipient's quiet hours (`preferences.quietHours`, HH:MM in their timezone): non-high
/// priority sends that fall inside wait for the end.
public struct QuietHours: Sendable, Hashable {
    /// Minutes after local midnight.
    public var start: Int
    public var end: Int
    public var timeZone: TimeZone

    public init?(start: String, end: String, timeZone: TimeZone) {
        guard let s = Self.minutes(start), let e = Self.minutes(end), s != e else { return nil }
        self.start = s
        self.end = e
        self.timeZone = timeZone
    }

    static func minutes(_ clock: String) -> Int? {
        let parts = clock.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    public func contains(_ date: Date) -> Bool {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let m = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        // A window such as 22:00–07:00 wraps around midnight.
        return start < end ? (m >= start && m < end) : (m >= start || m < end)
    }

    /// When the quiet window containing `date` ends; `date` itself when it is outside.
    public func endOfWindow(containing date: Date) -> Date {
        guard contains(date) else { return date }
        let components = DateComponents(hour: end / 60, minute: end % 60, second: 0)
        return calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime) ?? date
    }
}
