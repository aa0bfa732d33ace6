import HeraldAPI
import Testing

@Suite struct JSONObjectTests {
    @Test func membersAreKeptInKeyOrderWhateverOrderTheyArriveIn() throws {
        var o: JSONObject = ["c": 3, "a": 1]
        o["b"] = 2
        o["0"] = 0
        #expect(o.keys.map(\.self) == ["0", "a", "b", "c"])
        #expect(JSON.object(o).serializedString() == #"{"0":0,"a":1,"b":2,"c":3}"#)
        let parsed = try JSON.parse(#"{"z":1,"é":2,"A":3,"m":{"y":1,"x":2}}"#)
        #expect(parsed.serializedString() == #"{"A":3,"m":{"x":2,"y":1},"z":1,"é":2}"#)
    }

    @Test func aRepeatedKeyKeepsItsLastValue() throws {
        #expect(try JSON.parse(#"{"b":1,"a":2,"b":3,"a":4,"b":5}"#) == ["a": 4, "b": 5])
        #expect(JSONObject(unsorted: [("k", 1), ("k", 2)]) == ["k": 2])
        let sortedDuplicates = try JSON.parse(#"{"a":1,"a":2}"#)
        #expect(sortedDuplicates.objectValue?.count == 1)
        #expect(sortedDuplicates["a"] == 2)
    }

    @Test func equalityAndHashIgnoreTheOrderMembersWereAddedIn() {
        var a = JSONObject()
        var b = JSONObject()
        for k in ["x", "y", "z"] { a[k] = .string(k) }
        for k in ["z", "x", "y"] { b[k] = .string(k) }
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        b["z"] = "other"
        #expect(a != b)
    }

    /// Past 8 members, lookups take the binary search: every key is found, absent ones are not.
    @Test(arguments: [3, 8, 9, 40])
    func findsEveryKeyAtEverySize(_ n: Int) {
        var o = JSONObject()
        for i in (0..<n).reversed() { o["key-\(i)"] = .int(Int64(i)) }
        #expect(o.count == n)
        for i in 0..<n { #expect(o["key-\(i)"] == .int(Int64(i))) }
        #expect(o["key-\(n)"] == nil)
        #expect(o[""] == nil)
        #expect(o["zzz"] == nil)
    }

    @Test func settingNilRemovesAndNestedWritesChangeOnlyTheirMember() {
        var j: JSON = ["metadata": ["name": "n", "labels": ["a": "1"]], "spec": [:]]
        j["metadata"]?["labels"]?["b"] = "2"
        j["metadata"]?["name"] = nil
        j["status"] = ["phase": "Pending"]
        #expect(j == ["metadata": ["labels": ["a": "1", "b": "2"]], "spec": [:], "status": ["phase": "Pending"]])
        var o = j.objectValue ?? [:]
        #expect(o.removeValue(forKey: "spec") == .object([:]))
        #expect(o.removeValue(forKey: "spec") == nil)
        #expect(o.keys.map(\.self) == ["metadata", "status"])
    }

    @Test func dictionaryStyleHelpersKeepKeyOrder() {
        let o: JSONObject = ["b": 2, "a": 1, "c": 3]
        #expect(o.mapValues { .int(($0.intValue ?? 0) * 10) } == ["a": 10, "b": 20, "c": 30])
        #expect(o.filter { $0.key != "b" } == ["a": 1, "c": 3])
        #expect(o.dictionary == ["a": 1, "b": 2, "c": 3])
        #expect(JSONObject(["y": 1, "x": 2]).keys.map(\.self) == ["x", "y"])
    }
}
