import HeraldAPI
import Testing

@testable import Store

/// The previous state the PostgreSQL log keeps is what selectors read of an object, and nothing
/// else: they must decide on it exactly as on the whole object.
@Suite struct SelectorStateTests {
    func delivery() -> Resource {
        var r = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "team-a", name: "welcome-ada-hook")
        r.uid = "uid-1"
        r.resourceVersion = 42
        r.labels = ["herald.dev/notification": "welcome", "tier": "gold"]
        r.annotations = ["note": "kept out"]
        r.spec = ["notification": "welcome", "channel": "hook", "recipient": "ada", "round": 0, "variables": ["name": "Ada"]]
        r.status = ["phase": "Queued", "attempts": 1]
        return r
    }

    @Test func keepsIdentityLabelsAndSelectableFieldsOnly() throws {
        let state = try PostgresRows.decode(PostgresRows.selectorState(delivery(), kinds: .herald))
        #expect(
            state.json
                == [
                    "apiVersion": "herald.dev/v1alpha1", "kind": "Delivery",
                    "metadata": [
                        "name": "welcome-ada-hook", "namespace": "team-a", "resourceVersion": "42",
                        "labels": ["herald.dev/notification": "welcome", "tier": "gold"],
                    ],
                    "spec": ["notification": "welcome", "channel": "hook", "recipient": "ada"],
                    "status": ["phase": "Queued"],
                ])
    }

    @Test func selectorsDecideTheSameOnTheStateAsOnTheObject() throws {
        let object = delivery()
        let state = try PostgresRows.decode(PostgresRows.selectorState(object, kinds: .herald))
        for selector in ["tier=gold", "tier!=gold", "tier", "!tier", "herald.dev/notification in (welcome,bye)"] {
            let parsed = try LabelSelector(parsing: selector)
            #expect(parsed.matches(state.labels) == parsed.matches(object.labels), "\(selector)")
        }
        let definition = try #require(KindRegistry.herald.kind("Delivery"))
        for (name, read) in definition.selectableFields { #expect(read(state) == read(object), "\(name)") }
    }

    @Test func aWriteThatMovesNeitherLabelsNorSelectableFieldsReadsAlike() {
        let before = delivery()
        var attempted = before
        attempted.status = ["phase": "Queued", "attempts": 2]
        attempted.annotations["note"] = "changed"
        #expect(PostgresRows.selectorsReadAlike(before, attempted, kinds: .herald))
        var delivered = before
        delivered.status = ["phase": "Delivered", "attempts": 1]
        #expect(!PostgresRows.selectorsReadAlike(before, delivered, kinds: .herald))
        var relabeled = before
        relabeled.labels["tier"] = "silver"
        #expect(!PostgresRows.selectorsReadAlike(before, relabeled, kinds: .herald))
    }

    /// The marker reads back as the object itself, on which selectors decide as on the state before.
    @Test func theSameStateMarkerReadsBackAsTheObject() throws {
        var object = delivery()
        object.status = ["phase": "Queued", "attempts": 2]
        let event = try PostgresRows.event(
            rv: 43, type: "MODIFIED", key: object.key, body: PostgresRows.body(object), previous: PostgresRows.sameSelectorState)
        #expect(event.previous == object)
        let added = try PostgresRows.event(rv: 42, type: "ADDED", key: object.key, body: PostgresRows.body(object), previous: nil)
        #expect(added.previous == nil)
    }

    @Test func stringMapsAreJSONObjects() throws {
        let text = PostgresRows.stringMap(["a\"b": "c\\d\n", "e": ""])
        #expect(try JSON.parse(Array(text.utf8)) == ["a\"b": "c\\d\n", "e": ""])
        #expect(PostgresRows.stringMap([String: String]()) == "{}")
    }

    @Test func labelAndFieldColumnsHoldWhatSelectorsRead() throws {
        let object = delivery()
        #expect(
            try JSON.parse(Array(PostgresRows.labelsJSON(object).utf8)) == ["herald.dev/notification": "welcome", "tier": "gold"])
        #expect(
            try JSON.parse(Array(PostgresRows.fieldsJSON(object, kinds: .herald).utf8))
                == ["status.phase": "Queued", "spec.notification": "welcome", "spec.channel": "hook", "spec.recipient": "ada"])
        var bare = object
        bare.labels = [:]
        bare.status = nil
        #expect(PostgresRows.labelsJSON(bare) == "{}")
        #expect(try JSON.parse(Array(PostgresRows.fieldsJSON(bare, kinds: .herald).utf8))["status.phase"] == nil)
    }

    @Test func aClusterScopedObjectWithoutLabelsKeepsNoEmptyMembers() throws {
        var r = Resource(apiVersion: "v1", kind: "Namespace", namespace: nil, name: "team-a")
        r.resourceVersion = 7
        r.spec = ["finalizers": ["kubernetes"]]
        let state = try PostgresRows.decode(PostgresRows.selectorState(r, kinds: .herald))
        #expect(state.json == ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team-a", "resourceVersion": "7"]])
    }
}
