import HeraldAPI
import Testing

@Suite struct AdmissionTests {
    let notification = Admission(definition: .notification)

    func manifest(_ spec: JSON, name: JSON = "hello") -> JSON {
        ["apiVersion": "herald.dev/v1alpha1", "kind": "Notification", "metadata": ["name": name], "spec": spec]
    }

    let validSpec: JSON = ["message": ["text": "hi"], "to": [["address": ["email": "a@example.com"]]], "channels": ["log"]]

    @Test func admitsAndDefaults() throws {
        let admitted = try notification.admit(manifest(validSpec), namespace: "default", name: nil, fieldValidation: .strict)
        #expect(admitted.resource.namespace == "default")
        #expect(admitted.resource.spec?["priority"] == "normal")
    }

    @Test func unknownFieldsByMode() throws {
        var spec = validSpec
        spec["surprise"] = 1
        let refusal = admissionError { try notification.admit(manifest(spec), namespace: "default", name: nil, fieldValidation: .strict) }
        guard case .badRequest(let message)? = refusal else {
            Issue.record("strict should refuse with BadRequest")
            return
        }
        #expect(message.contains("unknown field \"spec.surprise\""))
        let warned = try notification.admit(manifest(spec), namespace: "default", name: nil, fieldValidation: .warn)
        #expect(warned.warnings == ["unknown field \"spec.surprise\""])
        #expect(warned.resource.spec?["surprise"] == nil)
        let ignored = try notification.admit(manifest(spec), namespace: "default", name: nil, fieldValidation: .ignore)
        #expect(ignored.warnings.isEmpty)
    }

    @Test func reportsEveryProblemWithItsPath() throws {
        let spec: JSON = ["to": "nobody", "channels": [], "priority": "urgent", "notBefore": "soon", "retry": ["maxAttempts": "x"]]
        let first = admissionError {
            try notification.admit(manifest(spec, name: "Bad_Name"), namespace: "default", name: nil, fieldValidation: .strict)
        }
        guard case .invalid(let e)? = first else {
            Issue.record("should be invalid")
            return
        }
        let paths = Set(e.errors.map(\.path))
        #expect(paths.isSuperset(of: ["spec.to", "spec.channels", "spec.priority", "spec.notBefore", "spec.retry.maxAttempts"]))
        let second = admissionError {
            try notification.admit(manifest(validSpec, name: "Bad_Name"), namespace: "default", name: nil, fieldValidation: .strict)
        }
        guard case .invalid(let nameError)? = second else {
            Issue.record("should be invalid")
            return
        }
        #expect(nameError.errors.map(\.path) == ["metadata.name"])
    }

    @Test func atMostOneControllerReference() throws {
        func owner(_ name: String, controller: Bool) -> JSON {
            OwnerReference(apiVersion: "herald.dev/v1alpha1", kind: "Notification", name: name, uid: "uid-\(name)", controller: controller)
                .json
        }
        var object = manifest(validSpec)
        object["metadata"]?["ownerReferences"] = [owner("a", controller: true), owner("b", controller: false)]
        let one = try notification.admit(object, namespace: "default", name: nil, fieldValidation: .strict)
        #expect(one.resource.controllerReference(kind: "Notification")?.name == "a")
        #expect(one.resource.controllerReference(kind: "Template") == nil)

        object["metadata"]?["ownerReferences"] = [owner("a", controller: true), owner("b", controller: true)]
        guard
            case .invalid(let e)? = admissionError({
                try notification.admit(object, namespace: "default", name: nil, fieldValidation: .strict)
            })
        else {
            Issue.record("two controller references should be invalid")
            return
        }
        #expect(e.errors.map(\.path) == ["metadata.ownerReferences"])
        #expect(e.errors.first?.message.contains("Notification/a, Notification/b") == true)
    }

    @Test func wrongKindOrVersion() {
        var m = manifest(validSpec)
        m["apiVersion"] = "herald.dev/v2"
        #expect(throws: AdmissionError.self) { try notification.admit(m, namespace: "default", name: nil, fieldValidation: .strict) }
        m = manifest(validSpec)
        m["kind"] = "Template"
        #expect(throws: AdmissionError.self) { try notification.admit(m, namespace: "default", name: nil, fieldValidation: .strict) }
        m = manifest(validSpec)
        m["metadata"]?["namespace"] = "other"
        #expect(throws: AdmissionError.self) { try notification.admit(m, namespace: "default", name: nil, fieldValidation: .strict) }
    }

    @Test func secretStringDataFoldsIntoData() throws {
        let secret: JSON = ["apiVersion": "herald.dev/v1alpha1", "kind": "Secret", "metadata": ["name": "s"], "stringData": ["k": "v"]]
        let admitted = try Admission(definition: .secret).admit(secret, namespace: "default", name: nil, fieldValidation: .strict)
        #expect(admitted.resource.json["stringData"] == nil)
        #expect(admitted.resource.secretValue("k") == Array("v".utf8))
        #expect(admitted.resource.json["type"] == "Opaque")
    }

    @Test func everyKindHasAnOpenAPISchema() {
        for kind in KindRegistry.herald.kinds {
            let schema = kind.schema.openAPI
            #expect(schema["properties"]?["metadata"] != nil, "\(kind.kind)")
        }
    }
}

func admissionError(_ body: () throws -> Admission.Admitted) -> AdmissionError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? AdmissionError
    }
}

@Suite struct ServerSideApplyTests {
    let t = "2026-11-21T10:00:00Z"

    @Test func conflictsAndForce() throws {
        let live = ServerSideApply.recordUpdate(
            old: nil, new: ["spec": ["a": 1, "b": 2]], manager: "kubectl-patch", apiVersion: "v", time: t)
        do {
            _ = try ServerSideApply.apply(["spec": ["a": 5]], to: live, manager: "kubectl", force: false, apiVersion: "v", time: t)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.conflicts.map(\.fieldPath) == [".spec.a"])
            #expect(error.conflicts.first?.manager == "kubectl-patch")
        }
        // Same value: shared ownership, no conflict.
        _ = try ServerSideApply.apply(["spec": ["a": 1]], to: live, manager: "kubectl", force: false, apiVersion: "v", time: t)
        let forced = try ServerSideApply.apply(["spec": ["a": 5]], to: live, manager: "kubectl", force: true, apiVersion: "v", time: t)
        #expect(forced["spec"]?["a"] == 5)
        #expect(forced["spec"]?["b"] == 2)
    }

    @Test func removesFieldsNoLongerApplied() throws {
        let first = try ServerSideApply.apply(["spec": ["a": 1, "b": 2]], to: nil, manager: "m", force: false, apiVersion: "v", time: t)
        let second = try ServerSideApply.apply(["spec": ["a": 1]], to: first, manager: "m", force: false, apiVersion: "v", time: t)
        #expect(second["spec"]?["b"] == nil)
        // Re-applying the same configuration changes nothing at all.
        let third = try ServerSideApply.apply(["spec": ["a": 1]], to: second, manager: "m", force: false, apiVersion: "v", time: "later")
        #expect(third == second)
    }
}
