import APIServer
import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// Bad input gets the right Status and stores nothing.
@Suite struct BadInputTests {
    func expectStatus(_ reply: Reply, _ code: Int, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == code, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["kind"] == "Status", sourceLocation: sourceLocation)
        #expect(reply.json?["reason"] == .string(reason), "\(reply.text)", sourceLocation: sourceLocation)
    }

    @Test func everyBadBodyIsRefusedAndNothingIsStored() async throws {
        let api = try TestAPI()
        try await api.run { client in
            expectStatus(try await client.send(.post, notifications, "{not json"), 400, "BadRequest")
            expectStatus(try await client.send(.post, notifications, "a: [b", contentType: "application/yaml"), 400, "BadRequest")
            expectStatus(
                try await client.send(.post, notifications, notificationJSON("x").replacingOccurrences(of: "v1alpha1", with: "v9")), 400,
                "BadRequest")
            expectStatus(
                try await client.send(
                    .post, notifications, notificationJSON("x").replacingOccurrences(of: "\"Notification\"", with: "\"Channel\"")), 400,
                "BadRequest")
            expectStatus(try await client.send(.post, notifications, notificationJSON("Not_Valid")), 422, "Invalid")
            expectStatus(try await client.send(.post, notifications, notificationJSON("")), 422, "Invalid")
            expectStatus(try await client.send(.post, notifications, notificationJSON("x", extraSpec: #","bogus":1"#)), 400, "BadRequest")
            expectStatus(try await client.send(.post, notifications, notificationJSON("x", extraSpec: #","priority":7"#)), 422, "Invalid")
            expectStatus(try await client.send(.post, notifications, "[]"), 400, "BadRequest")
            let big = String(repeating: "x", count: 3 * 1024 * 1024 + 10)
            expectStatus(try await client.send(.post, notifications, #"{"a":""# + big + #""}"#), 413, "RequestEntityTooLarge")
            expectStatus(try await client.send(.get, "\(notifications)?labelSelector=a%20in%20b"), 400, "BadRequest")
            expectStatus(try await client.send(.get, "\(notifications)?fieldSelector=spec.nothing%3Dx"), 400, "BadRequest")
            expectStatus(try await client.send(.get, "/apis/herald.dev/v1alpha1/namespaces/default/nonsense"), 404, "NotFound")
            let list = try await client.send(.get, notifications)
            #expect(list.json?["items"] == [])
        }
    }

    @Test func warnModeAcceptsWithAWarning() async throws {
        try await TestAPI().run { client in
            let reply = try await client.send(
                .post, "\(notifications)?fieldValidation=Warn", notificationJSON("w", extraSpec: #","bogus":1"#))
            #expect(reply.status == 201)
            #expect(reply.headers[.init("Warning")!]?.contains("unknown field \\\"spec.bogus\\\"") == true)
            #expect(reply.json?["spec"]?["bogus"] == nil)
        }
    }

    @Test func staleResourceVersionConflicts() async throws {
        try await TestAPI().run { client in
            let created = try await client.send(.post, notifications, notificationJSON("c"))
            var stale = created.json ?? .null
            try await client.send(
                .patch, "\(notifications)/c", #"{"metadata":{"labels":{"a":"b"}}}"#, contentType: "application/merge-patch+json")
            stale["spec"]?["category"] = "x"
            let reply = try await client.send(.put, "\(notifications)/c", stale.serializedString())
            expectStatus(reply, 409, "Conflict")
            #expect(try await client.send(.get, "\(notifications)/c").json?["spec"]?["category"] == nil)
        }
    }

    /// Random bytes and random mutations of a valid manifest: every answer is a Status or an
    /// object, nothing crashes or hangs, and only accepted creates are stored.
    @Test func fuzzedBodies() async throws {
        let api = try TestAPI()
        try await api.run { client in
            var rng = SplitMix(seed: 0x4E52)
            let valid = Array(notificationJSON("fuzz").utf8)
            var accepted = Set<String>()
            for i in 0..<400 {
                var body: [UInt8]
                if i % 4 == 0 {
                    body = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                } else {
                    body = valid
                    let alphabet = Array("{}[]\":,0a-".utf8)
                    for _ in 0..<Int(1 + rng.next() % 4) where !body.isEmpty {
                        let at = Int(rng.next() % UInt64(body.count))
                        switch rng.next() % 3 {
                        case 0: body[at] = UInt8(truncatingIfNeeded: rng.next())
                        case 1: body.remove(at: at)
                        default: body.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                        }
                    }
                }
                let type = i % 2 == 0 ? "application/json" : "application/yaml"
                let reply = try await client.send(.post, notifications, String(decoding: body, as: UTF8.self), contentType: type)
                #expect([201, 400, 409, 413, 422].contains(reply.status), "unexpected \(reply.status): \(reply.text)")
                if reply.status == 201, let name = reply.json?["metadata"]?["name"]?.stringValue { accepted.insert(name) }
                if reply.status != 201 { #expect(reply.json?["kind"] == "Status") }
            }
            let list = try await client.send(.get, notifications)
            let stored = Set(list.json?["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? [])
            #expect(stored == accepted)
        }
    }

    @Test func decodersSurviveRandomInput() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next() % 128) }
            _ = try? JSON.parse(bytes)
            _ = try? JSON.parseJSONOrYAML(bytes)
        }
    }
}

/// A small deterministic generator so a failing fuzz case reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
