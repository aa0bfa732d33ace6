import Foundation
import HeraldAPI
import Testing

@testable import heraldctl

@Suite("Unified diff")
struct UnifiedDiffTests {
    @Test func equalTextsHaveNoHunks() {
        #expect(UnifiedDiff.report(oldName: "a", newName: "b", old: "x\ny\n", new: "x\ny\n") == nil)
    }

    @Test func changeWithContext() {
        let old = (1...10).map { "l\($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "l5\n", with: "L5\n")
        let hunks = UnifiedDiff.hunks(old: UnifiedDiff.splitLines(old), new: UnifiedDiff.splitLines(new))
        #expect(hunks == ["@@ -2,7 +2,7 @@", " l2", " l3", " l4", "-l5", "+L5", " l6", " l7", " l8"])
    }

    @Test func newFileIsAllAdditions() {
        let hunks = UnifiedDiff.hunks(old: [], new: ["a", "b"])
        #expect(hunks == ["@@ -0,0 +1,2 @@", "+a", "+b"])
    }

    @Test func distantChangesMakeTwoHunks() {
        let old = (1...20).map { "l\($0)" }
        var new = old
        new[1] = "X"
        new[18] = "Y"
        let hunks = UnifiedDiff.hunks(old: old, new: new)
        #expect(hunks.filter { $0.hasPrefix("@@") } == ["@@ -1,5 +1,5 @@", "@@ -16,5 +16,5 @@"])
    }
}

@Suite("Argument spellings")
struct ArgumentNormalizerTests {
    @Test func shortOptionValues() {
        #expect(ArgumentNormalizer.normalize(["get", "notif", "-oyaml"]) == ["get", "notif", "-o", "yaml"])
        #expect(ArgumentNormalizer.normalize(["get", "notif", "-o=json"]) == ["get", "notif", "-o", "json"])
    }

    @Test func booleanFlagsWithValues() {
        #expect(ArgumentNormalizer.normalize(["delete", "notif", "x", "--wait=false"]) == ["delete", "notif", "x", "--no-wait"])
        #expect(ArgumentNormalizer.normalize(["apply", "--server-side=true"]) == ["apply", "--server-side"])
        #expect(ArgumentNormalizer.normalize(["delete", "--ignore-not-found=false"]) == ["delete"])
    }

    @Test func globalsBeforeTheSubcommandMoveAfterIt() {
        #expect(
            ArgumentNormalizer.normalize(["-n", "ops", "--server=http://h:1", "get", "notif"])
                == ["get", "notif", "-n", "ops", "--server=http://h:1"])
    }
}

@Suite("wait --for")
struct WaitConditionTests {
    func object(generation: Int64, conditionGen: Int64?, statusGen: Int64?, status: String = "True") -> JSON {
        var condition: JSON = ["type": "Delivered", "status": .string(status)]
        if let conditionGen { condition["observedGeneration"] = .int(conditionGen) }
        var statusObject: JSON = ["conditions": [condition]]
        if let statusGen { statusObject["observedGeneration"] = .int(statusGen) }
        return ["metadata": ["generation": .int(generation)], "status": statusObject]
    }

    @Test func parsesKubectlForms() throws {
        guard case .condition(let type, let value) = try WaitCondition.parse("condition=Delivered") else {
            Issue.record("not a condition")
            return
        }
        #expect(type == "Delivered" && value == "True")
        guard case .condition(_, let v2) = try WaitCondition.parse("condition=Ready=false") else {
            Issue.record("not a condition")
            return
        }
        #expect(v2 == "false")
        guard case .delete = try WaitCondition.parse("delete") else {
            Issue.record("not delete")
            return
        }
        guard case .jsonpath(_, let value) = try WaitCondition.parse("jsonpath={.status.phase}=Delivered") else {
            Issue.record("not jsonpath")
            return
        }
        #expect(value == "Delivered")
        #expect(throws: CLIError.self) { try WaitCondition.parse("ready") }
    }

    @Test func observedGenerationRules() {
        let met = WaitCondition.condition(type: "delivered", value: "true")
        #expect(met.isMet(object(generation: 2, conditionGen: 2, statusGen: nil)))
        // The condition's own observedGeneration wins over the status one.
        #expect(!met.isMet(object(generation: 2, conditionGen: 1, statusGen: 2)))
        // Without it, status.observedGeneration is compared.
        #expect(!met.isMet(object(generation: 2, conditionGen: nil, statusGen: 1)))
        #expect(met.isMet(object(generation: 2, conditionGen: nil, statusGen: 2)))
        // With neither, the condition counts as current.
        #expect(met.isMet(object(generation: 2, conditionGen: nil, statusGen: nil)))
        #expect(!met.isMet(object(generation: 1, conditionGen: 1, statusGen: 1, status: "False")))
        #expect(!met.isMet(nil))
        #expect(WaitCondition.delete.isMet(nil))
    }
}

@Suite("Describe labels and server errors")
struct DescribeAndErrorTests {
    @Test func smartLabels() {
        #expect(Describer.label("templateRef") == "Template Ref")
        #expect(Describer.label("apiVersion") == "API Version")
        #expect(Describer.label("uid") == "UID")
        #expect(Describer.label("observedGeneration") == "Observed Generation")
        #expect(Describer.label("X-Team") == "X-Team")
        #expect(Describer.label("app.kubernetes.io/name") == "app.kubernetes.io/name")
    }

    @Test func statusErrorsReadLikeKubectl() {
        let notFound = ServerStatus(
            httpStatus: 404,
            body: Array(
                #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"notifications.herald.dev \"x\" not found","reason":"NotFound","code":404}"#
                    .utf8))
        #expect(CLIError.server(notFound).rendered == "Error from server (NotFound): notifications.herald.dev \"x\" not found")
        #expect(
            CLIError.server(notFound, action: "error when creating \"a.yaml\"").rendered
                == "Error from server (NotFound): error when creating \"a.yaml\": notifications.herald.dev \"x\" not found")
        let invalid = ServerStatus(
            code: 422, reason: "Invalid", message: "m", kind: "Notification", name: "bad",
            causes: [
                .init(reason: "FieldValueRequired", message: "Required value", field: "spec.to"),
                .init(reason: "FieldValueNotSupported", message: "Unsupported value: \"urgent\"", field: "spec.priority"),
            ])
        #expect(
            CLIError.server(invalid).rendered
                == "The Notification \"bad\" is invalid: \n* spec.to: Required value\n* spec.priority: Unsupported value: \"urgent\"")
        let plain404 = ServerStatus(httpStatus: 404, body: Array("404 page not found".utf8))
        #expect(plain404.rendered(action: nil) == "Error from server (NotFound): the server could not find the requested resource")
    }

    @Test func warningHeaderText() {
        #expect(WarningHeader.text(#"299 - "unknown field \"spec.colour\"""#) == #"unknown field "spec.colour""#)
    }
}

@Suite("Manifest reading")
struct ManifestReaderTests {
    @Test func multiDocumentYAMLAndLists() throws {
        let text = """
            apiVersion: herald.dev/v1alpha1
            kind: Channel
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: herald.dev/v1alpha1, kind: Channel, metadata: {name: b}}
            - {apiVersion: herald.dev/v1alpha1, kind: Channel, metadata: {name: c}}
            """
        let objects = try ManifestReader.parse(Array(text.utf8), source: "x.yaml")
        #expect(objects.map { $0.resource.name } == ["a", "b", "c"])
    }

    @Test func missingKindIsAnError() {
        #expect(throws: CLIError.self) {
            try ManifestReader.parse(Array("apiVersion: v1\nmetadata: {name: a}\n".utf8), source: "x.yaml")
        }
    }
}
