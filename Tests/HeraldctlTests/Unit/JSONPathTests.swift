import HeraldAPI
import Testing

@testable import heraldctl

@Suite("JSONPath templates")
struct JSONPathTests {
    let list: JSON = [
        "kind": "List",
        "items": [
            [
                "metadata": ["name": "a", "labels": ["app.kubernetes.io/name": "x"]],
                "status": ["conditions": [["type": "Accepted", "status": "True"], ["type": "Ready", "status": "False"]]],
            ],
            ["metadata": ["name": "b"], "spec": ["priority": 3], "status": ["conditions": [["type": "Ready", "status": "True"]]]],
        ],
    ]

    func run(_ template: String, _ data: JSON? = nil) throws -> String {
        try JSONPath(template).execute(data ?? list)
    }

    @Test func fieldsAndWildcards() throws {
        #expect(try run("{.kind}") == "List")
        #expect(try run("{.items[*].metadata.name}") == "a b")
        #expect(try run("{.items[0].metadata.name}") == "a")
        #expect(try run("{.items[-1].metadata.name}") == "b")
        #expect(try run("{.items[0:1].metadata.name}") == "a")
        #expect(try run("names: {.items[*].metadata.name}!") == "names: a b!")
    }

    @Test func bracketKeysWithDots() throws {
        #expect(try run("{.items[0].metadata.labels['app.kubernetes.io/name']}") == "x")
    }

    @Test func missingKeysPrintNothing() throws {
        #expect(try run("{.items[*].spec.priority}") == "3")
        #expect(try run("{.nope.deeper}") == "")
    }

    @Test func filters() throws {
        #expect(try run("{.items[0].status.conditions[?(@.type==\"Ready\")].status}") == "False")
        #expect(try run("{.items[*].status.conditions[?(@.status=='True')].type}") == "Accepted Ready")
        #expect(try run("{.items[?(@.spec.priority>2)].metadata.name}") == "b")
        #expect(try run("{.items[?(@.spec)].metadata.name}") == "b")
    }

    @Test func rangeAndLiterals() throws {
        #expect(try run("{range .items[*]}{.metadata.name}{\"\\n\"}{end}") == "a\nb\n")
        #expect(
            try run("{range .items[*]}[{.metadata.name}:{range .status.conditions[*]}{.type},{end}]{end}")
                == "[a:Accepted,Ready,][b:Ready,]")
    }

    @Test func recursiveDescentAndMaps() throws {
        #expect(try run("{..name}") == "a b")
        #expect(try run("{.items[0].metadata.labels}") == "{\"app.kubernetes.io/name\":\"x\"}")
    }

    @Test func relaxedPathWithoutLeadingDot() throws {
        #expect(try run("{kind}") == "List")
    }

    @Test func malformedTemplatesAreErrors() {
        #expect(throws: JSONPathError.self) { try JSONPath("{.items[*].metadata.name") }
        #expect(throws: JSONPathError.self) { try JSONPath("{range .items[*]}{.x}") }
        #expect(throws: JSONPathError.self) { try JSONPath("{end}") }
    }
}
