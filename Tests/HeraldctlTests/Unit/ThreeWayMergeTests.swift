import HeraldAPI
import Testing

@testable import heraldctl

@Suite("Three-way merge patch (client-side apply)")
struct ThreeWayMergeTests {
    @Test func unchangedFileGivesNoPatch() {
        let applied: JSON = ["spec": ["channels": ["mail"], "priority": "high"]]
        let live: JSON = ["spec": ["channels": ["mail"], "priority": "high"], "status": ["phase": "Delivered"]]
        #expect(ThreeWayMerge.patch(original: applied, modified: applied, current: live) == Optional<JSON>.none)
    }

    @Test func fieldRemovedFromFileIsDeleted() {
        let original: JSON = ["spec": ["channels": ["mail"], "category": "news"]]
        let modified: JSON = ["spec": ["channels": ["mail"]]]
        let live: JSON = ["spec": ["channels": ["mail"], "category": "news"]]
        #expect(ThreeWayMerge.patch(original: original, modified: modified, current: live) == ["spec": ["category": JSON.null]])
    }

    @Test func fieldsAddedByOthersAreKept() {
        // The server defaulted priority and a controller wrote status: apply must not remove them.
        let original: JSON = ["spec": ["channels": ["mail"]]]
        let modified: JSON = ["spec": ["channels": ["mail", "sms"]]]
        let live: JSON = ["spec": ["channels": ["mail"], "priority": "normal"], "status": ["phase": "Pending"]]
        #expect(ThreeWayMerge.patch(original: original, modified: modified, current: live) == ["spec": ["channels": ["mail", "sms"]]])
    }

    @Test func liveDriftIsReverted() {
        // Someone patched a field the file sets: apply puts the file's value back.
        let original: JSON = ["spec": ["priority": "low"]]
        let live: JSON = ["spec": ["priority": "high"]]
        #expect(ThreeWayMerge.patch(original: original, modified: original, current: live) == ["spec": ["priority": "low"]])
    }

    @Test func withoutOriginalNothingIsDeleted() {
        let modified: JSON = ["spec": ["a": 1]]
        let live: JSON = ["spec": ["a": 1, "b": 2]]
        #expect(ThreeWayMerge.patch(original: nil, modified: modified, current: live) == Optional<JSON>.none)
    }

    @Test func explicitEmptyMapIsAValue() {
        let modified: JSON = ["spec": ["variables": [:]]]
        let live: JSON = ["spec": [:]]
        #expect(ThreeWayMerge.patch(original: nil, modified: modified, current: live) == ["spec": ["variables": [:]]])
    }

    @Test func lastAppliedAnnotationMatchesKubectl() {
        let object: JSON = [
            "apiVersion": "herald.dev/v1alpha1", "kind": "Notification",
            "metadata": ["name": "x", "namespace": "default"], "spec": ["channels": ["log"]],
        ]
        let (sent, annotation) = LastApplied.modified(object)
        // kubectl writes the object without the annotation, sorted, compact, with an empty
        // annotations map and a trailing newline.
        #expect(
            annotation
                == "{\"apiVersion\":\"herald.dev/v1alpha1\",\"kind\":\"Notification\",\"metadata\":{\"annotations\":{},\"name\":\"x\",\"namespace\":\"default\"},\"spec\":{\"channels\":[\"log\"]}}\n"
        )
        #expect(sent["metadata"]?["annotations"]?[LastApplied.annotation]?.stringValue == annotation)
        #expect(LastApplied.original(of: sent) == (try? JSON.parse(annotation)))
    }

    @Test func otherAnnotationsSurviveInLastApplied() {
        let object: JSON = ["kind": "K", "metadata": ["name": "x", "annotations": ["team": "sre"]]]
        let (sent, annotation) = LastApplied.modified(object)
        #expect(annotation.contains("\"annotations\":{\"team\":\"sre\"}"))
        #expect(sent["metadata"]?["annotations"]?["team"] == "sre")
    }
}
