import Foundation
import HeraldAPI

/// RFC 3339 UTC with milliseconds, for the Delivery times the scheduler acts on: second
/// precision would make a 1.4 s backoff either early (a Retry-After floor broken) or late.
/// `Timestamp.parse` reads both forms.
enum PreciseTime {
    static func format(_ date: Date) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down)
        var millis = Int(((date.timeIntervalSince1970 - whole) * 1000).rounded(.up))
        var base = whole
        if millis >= 1000 {
            base += 1
            millis -= 1000
        }
        return Timestamp.format(wholeSeconds: base, milliseconds: millis)
    }

    static func parse(_ json: JSON?) -> Date? {
        json?.stringValue.flatMap(Timestamp.parse)
    }
}
