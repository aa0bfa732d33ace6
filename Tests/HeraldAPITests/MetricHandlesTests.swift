import HeraldAPI
import Synchronization
import Testing

@Suite struct MetricHandlesTests {
    final class Handle: Sendable {
        let label: String
        let dimensions: [String]
        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.map { "\($0.0)=\($0.1)" }
        }
    }

    @Test func makesEachLabelAndDimensionSetOnce() {
        let handles = MetricHandles<Handle>()
        let made = Mutex(0)
        let make: (String, [(String, String)]) -> Handle = { label, dimensions in
            made.withLock { $0 += 1 }
            return Handle(label, dimensions)
        }
        let a = handles("requests_total", [("verb", "get"), ("code", "200")], make: make)
        let again = handles("requests_total", [("verb", "get"), ("code", "200")], make: make)
        let other = handles("requests_total", [("verb", "get"), ("code", "404")], make: make)
        let otherLabel = handles("errors_total", [("verb", "get"), ("code", "200")], make: make)
        #expect(a === again)
        #expect(a !== other && a !== otherLabel)
        #expect(other.dimensions == ["verb=get", "code=404"])
        #expect(otherLabel.label == "errors_total")
        #expect(made.withLock { $0 } == 3)
        // Names and values are compared as given, not as one spelled-out string.
        let split = handles("t", [("a", "b=c")], make: make)
        let joined = handles("t", [("a=b", "c")], make: make)
        let two = handles("t", [("a", "b"), ("c", "d")], make: make)
        let one = handles("t", [("a", "b|c=d")], make: make)
        #expect(split !== joined && two !== one)
        #expect(made.withLock { $0 } == 7)
    }
}
