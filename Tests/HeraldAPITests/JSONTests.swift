import HeraldAPI
import Testing

@Suite struct JSONTests {
    @Test func parsesAndSerializesRoundTrip() throws {
        let text = #"{"b":[1,2.5,-3e2,true,false,null],"a":"x\"y\\z\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try JSON.parse(text)
        #expect(value["a"] == .string("x\"y\\z\né😀"))
        #expect(value["b"] == [1, 2.5, -300.0, true, false, .null])
        let again = try JSON.parse(value.serialized())
        #expect(again == value)
        // Keys come out sorted, so equal values give equal bytes.
        #expect(value.serializedString().hasPrefix(#"{"a":"#))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\"}", "01", "1.", "\"\\x\"", "tru", "{\"a\":1}x", "\"\u{01}\"", "[\"\\ud800\"]"])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }

    /// Objects are built from one members buffer shared by the whole document.
    @Test func nestedObjectsKeepTheirOwnMembers() throws {
        let j = try JSON.parse(#"{"a":{"b":{"c":1},"d":[{"e":2},{}]},"f":3,"a2":{},"f":4}"#)
        #expect(j["a"]?["b"]?["c"] == 1)
        #expect(j["a"]?["d"]?.arrayValue?.count == 2)
        #expect(j["a"]?["d"]?.arrayValue?.first?["e"] == 2)
        #expect(j.objectValue?.count == 3)
        #expect(j["a"]?.objectValue?.count == 2)
        // A repeated key keeps its last value.
        #expect(j["f"] == 4)
        // A failed object does not leave members behind for the next parse.
        #expect(throws: JSONParseError.self) { try JSON.parse(#"{"x":{"y":1,"z":}}"#) }
        #expect(try JSON.parse(#"{"k":true}"#).objectValue?.count == 1)
    }

    @Test func integersStayIntegers() throws {
        #expect(try JSON.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(JSON.int(3).serializedString() == "3")
        #expect(JSON.double(2.0).serializedString() == "2")
    }

    @Test func yamlMultiDocument() throws {
        let docs = try JSON.parseYAMLDocuments(
            """
            a: 1
            b: [x, "2", true]
            ---
            # empty
            ---
            c: {d: null, e: 1.5, t: 2026-11-21T10:00:00Z}
            """)
        #expect(docs.count == 2)
        #expect(docs[0]["b"] == ["x", "2", true])
        #expect(docs[1]["c"]?["t"] == "2026-11-21T10:00:00Z")
        #expect(docs[1]["c"]?["d"] == .null)
    }

    @Test func yamlOutputReadsBack() throws {
        let value: JSON = [
            "s": "plain", "n": "123", "t": "true", "colon": "a: b", "multi": "x\ny", "list": [["k": "v", "k2": [1]], "z"],
            "empty": [:], "e": [],
        ]
        let docs = try JSON.parseYAMLDocuments(value.yamlString())
        #expect(docs == [value])
    }

    @Test func yamlAliasBombIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<8 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(throws: YAMLParseError.self) { try JSON.parseYAMLDocuments(text) }
    }
}

@Suite struct PatchTests {
    @Test func mergePatch() throws {
        let doc: JSON = ["a": 1, "b": ["c": 2, "d": 3]]
        let patched = doc.applyingMergePatch(["b": ["c": .null, "e": 4], "f": "g"])
        #expect(patched == ["a": 1, "b": ["d": 3, "e": 4], "f": "g"])
        #expect(doc.mergePatch(to: patched).map { doc.applyingMergePatch($0) } == patched)
        #expect(doc.mergePatch(to: doc) == nil)
    }

    @Test func jsonPatch() throws {
        let doc: JSON = ["metadata": ["labels": ["a": "1"]], "list": [1, 2]]
        let patched = try doc.applyingJSONPatch([
            ["op": "add", "path": "/metadata/labels/x~1y", "value": "2"],
            ["op": "replace", "path": "/list/0", "value": 9],
            ["op": "add", "path": "/list/-", "value": 3],
            ["op": "remove", "path": "/metadata/labels/a"],
            ["op": "test", "path": "/list/1", "value": 2],
            ["op": "copy", "from": "/list", "path": "/copy"],
            ["op": "move", "from": "/copy", "path": "/moved"],
        ])
        #expect(patched == ["metadata": ["labels": ["x/y": "2"]], "list": [9, 2, 3], "moved": [9, 2, 3]])
    }

    @Test func jsonPatchFailures() {
        let doc: JSON = ["a": 1]
        #expect(throws: JSONPatchError.self) { try doc.applyingJSONPatch([["op": "remove", "path": "/missing"]]) }
        #expect(throws: JSONPatchError.self) { try doc.applyingJSONPatch([["op": "bogus", "path": "/a"]]) }
        #expect(throws: JSONPatchError.self) { try doc.applyingJSONPatch(["op": "add"]) }
        do {
            _ = try doc.applyingJSONPatch([["op": "test", "path": "/a", "value": 2]])
            Issue.record("test op should fail")
        } catch {
            #expect(error.isTestFailure)
        }
    }
}

@Suite struct SelectorTests {
    @Test func labelSelectorSyntax() throws {
        let s = try LabelSelector(parsing: "env in (prod, staging),tier!=db,team,!legacy,app=web")
        #expect(s.matches(["env": "prod", "tier": "web", "team": "x", "app": "web"]))
        #expect(!s.matches(["env": "prod", "tier": "db", "team": "x", "app": "web"]))
        #expect(!s.matches(["env": "prod", "team": "x", "app": "web", "legacy": "1"]))
        #expect(try LabelSelector(parsing: "env notin (a)").matches([:]))
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "bad key=value") }
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "env in prod") }
    }

    /// Matching an object where its labels are stored gives what matching a dictionary of them gives.
    @Test func labelSelectorMatchesAnObjectsStoredLabels() throws {
        let selectors = try [
            "env in (prod, staging),tier!=db,team,!legacy,app=web", "env notin (a)", "team", "!team", "env=prod", "",
        ].map { try LabelSelector(parsing: $0) }
        let labelSets: [[String: String]] = [
            [:], ["env": "prod", "tier": "web", "team": "x", "app": "web"], ["env": "prod", "tier": "db", "team": "x", "app": "web"],
            ["env": "a"], ["team": ""], ["env": "prod", "legacy": "1", "team": "x", "app": "web"],
        ]
        for labels in labelSets {
            var metadata: JSONObject = ["name": "o"]
            if !labels.isEmpty { metadata["labels"] = JSON(labels) }
            let object = Resource(.object(["kind": "Recipient", "metadata": .object(metadata)]))
            for s in selectors { #expect(s.matches(labelsOf: object) == s.matches(labels), "\(labels)") }
        }
    }

    @Test func structuredSelector() throws {
        let s = try LabelSelector(json: [
            "matchLabels": ["team": "sre"], "matchExpressions": [["key": "tier", "operator": "In", "values": ["a"]]],
        ])
        #expect(s.matches(["team": "sre", "tier": "a"]))
        #expect(!s.matches(["team": "sre"]))
    }

    @Test func fieldSelector() throws {
        let s = try FieldSelector(parsing: "metadata.name=a,status.phase!=Failed")
        #expect(s.pinnedName == "a")
        #expect(s.matches { ["metadata.name": "a", "status.phase": "Delivered"][$0] })
        #expect(!s.matches { ["metadata.name": "a", "status.phase": "Failed"][$0] })
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "nonsense") }
    }
}

@Suite struct TimeTests {
    @Test func timestamps() throws {
        let d = try #require(Timestamp.parse("2026-11-21T10:00:00Z"))
        #expect(Timestamp.format(d) == "2026-11-21T10:00:00Z")
        #expect(Timestamp.parse("2026-11-21T12:00:00+02:00") == d)
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test func timestampsPadEveryFieldAndKeepMilliseconds() throws {
        let d = try #require(Timestamp.parse("2026-01-02T03:04:05Z"))
        #expect(Timestamp.format(d) == "2026-01-02T03:04:05Z")
        #expect(Timestamp.format(d.addingTimeInterval(0.007), milliseconds: true) == "2026-01-02T03:04:05.007Z")
        #expect(Timestamp.format(d.addingTimeInterval(0.25), milliseconds: true) == "2026-01-02T03:04:05.250Z")
        #expect(Timestamp.format(d.addingTimeInterval(0.9996), milliseconds: true) == "2026-01-02T03:04:05.999Z")
        #expect(Timestamp.format(d.addingTimeInterval(0.25)) == "2026-01-02T03:04:05Z")
        let late = try #require(Timestamp.parse("2099-12-31T23:59:59Z"))
        #expect(Timestamp.format(late) == "2099-12-31T23:59:59Z")
        // RFC 3339 wants four digits of year, whatever the year.
        let early = try #require(Timestamp.parse("0499-06-01T00:00:00Z"))
        #expect(Timestamp.format(early) == "0499-06-01T00:00:00Z")
        let far = early.addingTimeInterval(10_000 * 365.25 * 86_400)
        #expect(Timestamp.format(far, milliseconds: true).hasPrefix("10499-"))
    }

    @Test func durations() {
        #expect(Duration.parse("1h30m") == 5400)
        #expect(Duration.parse("500ms") == 0.5)
        #expect(Duration.parse("10") == nil)
        #expect(Duration.parse("1.5s") == 1.5)
        #expect(Duration.parse("0.3s") == 0.3)
        #expect(abs((Duration.parse("250\u{B5}s") ?? 0) - 0.000_25) < 1e-15)
        #expect(Duration.parse("2us") == 0.000_002)
        #expect(Duration.parse("0") == 0)
        for bad in ["", "s", "5x", "5sé", "1s2", "٣s", "-1s", "1.s.s"] { #expect(Duration.parse(bad) == nil, "\(bad)") }
        #expect(Duration.human(seconds: 5) == "5s")
        #expect(Duration.human(seconds: 200) == "3m20s")
        #expect(Duration.human(seconds: 3 * 86400) == "3d")
    }
}
