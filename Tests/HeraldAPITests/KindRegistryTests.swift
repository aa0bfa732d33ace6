import HeraldAPI
import Testing

@Suite("Kind registry lookups the store makes on every write")
struct KindRegistryTests {
    let kinds = KindRegistry.herald

    @Test func selectableFieldsComeSortedWithTheirPathsSplit() throws {
        let fields = try #require(kinds.selectableFields(of: "Delivery"))
        #expect(fields.map(\.name) == ["spec.channel", "spec.notification", "spec.recipient", "status.phase"])
        #expect(fields.map(\.path) == [["spec", "channel"], ["spec", "notification"], ["spec", "recipient"], ["status", "phase"]])
        #expect(
            kinds.selectableFields(of: "Notification")?.first { $0.name == "spec.templateRef.name" }?.path == [
                "spec", "templateRef", "name",
            ])
        #expect(kinds.selectableFields(of: "Recipient")?.isEmpty == true)
        #expect(kinds.selectableFields(of: "Pod") == nil)
    }

    @Test func selectableFieldsReadAsTheDefinitionDoes() throws {
        var d = Resource(apiVersion: "herald.dev/v1alpha1", kind: "Delivery", namespace: "default", name: "d")
        d.spec = ["notification": "n", "recipient": "r", "channel": "c"]
        d.status = ["phase": "Queued"]
        let definition = try #require(kinds.kind("Delivery"))
        for field in try #require(kinds.selectableFields(of: "Delivery")) {
            #expect(field.read(d) == definition.fieldValue(d, field.name))
        }
    }

    @Test func hasStatusFollowsTheDefinitions() {
        for definition in kinds.kinds { #expect(kinds.hasStatus(definition.kind) == definition.hasStatus) }
        #expect(kinds.hasStatus("Secret") == false)
        #expect(kinds.hasStatus("Delivery"))
        #expect(kinds.hasStatus("Pod") == false)
    }
}
