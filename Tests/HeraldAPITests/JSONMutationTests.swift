import HeraldAPI
import Testing

/// Mutations move values out of their parent to stay in place; value semantics must not change.
@Suite struct JSONMutationTests {
    @Test func nestedWritesLeaveCopiesAlone() {
        let original: JSON = ["metadata": ["name": "a", "labels": ["x": "1"]], "spec": ["n": 1]]
        var copy = original
        copy["metadata"]?["name"] = "b"
        copy["metadata"]?["labels"]?["y"] = "2"
        copy.set(path: ["status", "phase"], to: "Queued")
        #expect(original["metadata"]?["name"] == "a")
        #expect(original["metadata"]?["labels"] == ["x": "1"])
        #expect(original["status"] == nil)
        #expect(copy["metadata"]?["name"] == "b")
        #expect(copy["metadata"]?["labels"] == ["x": "1", "y": "2"])
        #expect(copy[path: ["status", "phase"]] == "Queued")
        #expect(copy["spec"] == original["spec"])
    }

    @Test func writesIntoNonObjectsChangeNothing() {
        var scalar: JSON = 3
        scalar["a"] = "x"
        #expect(scalar == 3)
        var object: JSON = ["a": 1]
        object["a"]?["b"] = "x"
        #expect(object == ["a": 1])
        object["a"] = nil
        #expect(object == .emptyObject)
    }

    @Test func setPathReplacesScalarsOnTheWayAndRemovesLeaves() {
        var value: JSON = ["status": "broken"]
        value.set(path: ["status", "conditions"], to: [["type": "Ready"]])
        #expect(value == ["status": ["conditions": [["type": "Ready"]]]])
        value.set(path: ["status", "conditions"], to: nil)
        #expect(value == ["status": .emptyObject])
        var empty = JSON.null
        empty.set(path: ["a"], to: nil)
        #expect(empty == .null)
    }

    @Test func resourceMetadataSettersKeepTheRestOfTheObject() {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "ns", name: "d")
        let before = r
        r.resourceVersion = 7
        r.labels = ["k": "v"]
        r.status = ["phase": "Queued"]
        #expect(r.name == "d" && r.namespace == "ns" && r.resourceVersion == 7 && r.labels == ["k": "v"])
        #expect(before.resourceVersion == 0 && before.labels.isEmpty && before.status == nil)
    }

    @Test func stringsRoundTripWithAndWithoutEscapes() throws {
        for s in ["plain-ascii", "é and 😀", "tab\there", "quote\"back\\slash", "\u{01}", ""] {
            let bytes = JSON.string(s).serialized()
            #expect(try JSON.parse(bytes) == .string(s))
        }
        #expect(JSON.string("a\"b").serializedString() == #""a\"b""#)
        #expect(JSON.string("\u{01}").serializedString() == #""\u0001""#)
        // Invalid UTF-8 inside a string is refused, not repaired.
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func objectsSerializeWithSortedKeys() {
        let value: JSON = ["b": 1, "a": ["d": true, "c": .null], "A": "x"]
        #expect(value.serializedString() == #"{"A":"x","a":{"c":null,"d":true},"b":1}"#)
    }
}
