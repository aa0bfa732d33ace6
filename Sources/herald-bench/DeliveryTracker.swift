import AsyncHTTPClient
import Foundation
import HeraldAPI
import Synchronization

/// Follows a namespace's Deliveries through a watch and times each one from its Notification's
/// create request to the first event showing it `Delivered`.
final class DeliveryTracker: Sendable {
    private struct State {
        var created: [String: Double] = [:]
        var done = Set<String>()
        var latencies = Samples()
        var failed = 0
        var lastDelivered = 0.0
        var endedAt: [Double] = []
    }
    private let state = Mutex(State())

    func created(notification: String, at t: Double) {
        state.withLock { $0.created[notification] = t }
    }

    var delivered: Int { state.withLock { $0.done.count } }
    var failed: Int { state.withLock { $0.failed } }
    var latencies: Samples { state.withLock { $0.latencies } }
    var lastDelivered: Double { state.withLock { $0.lastDelivered } }

    /// Notifications created and deliveries ended per `step` seconds from `start`, one line each:
    /// where a run went fast or slow.
    func timeline(from start: Double, step: Double = 0.5) -> [String] {
        state.withLock { s in
            func bucket(_ times: [Double]) -> [Int: Int] {
                Dictionary(grouping: times.filter { $0 >= start }, by: { Int(($0 - start) / step) }).mapValues(\.count)
            }
            let created = bucket(Array(s.created.values))
            let ended = bucket(s.endedAt)
            let last = max(created.keys.max() ?? 0, ended.keys.max() ?? 0)
            return (0...last).map { i in
                String(
                    format: "  %5.1f s  notifications created %5d  deliveries ended %6d", Double(i) * step, created[i] ?? 0,
                    ended[i] ?? 0)
            }
        }
    }

    /// The Delivery collection's current resourceVersion. Watching from it, rather than with
    /// none, skips the replay of every existing Delivery, which would be timed as this phase's.
    static func resourceVersion(_ api: BenchClient, namespace: String) async throws -> String {
        let url = "\(api.base)/apis/herald.dev/v1alpha1/namespaces/\(namespace)/deliveries?limit=1"
        let list = try await api.http.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let listed = try JSON.parse(Array(buffer: try await list.body.collect(upTo: 1 << 20)))
        return listed["metadata"]?["resourceVersion"]?.stringValue ?? "0"
    }

    /// Reads the watch from `resourceVersion` until cancelled or the stream ends.
    func follow(_ api: BenchClient, namespace: String, from resourceVersion: String, seconds: Double) async throws {
        let url =
            "\(api.base)/apis/herald.dev/v1alpha1/namespaces/\(namespace)/deliveries?watch=true&resourceVersion=\(resourceVersion)&timeoutSeconds=\(Int(seconds))"
        let response = try await api.http.execute(HTTPClientRequest(url: url), timeout: .seconds(Int64(seconds) + 30))
        guard response.status == .ok else { throw BenchError("watching deliveries answered \(response.status)") }
        var lines = LineSplitter()
        for try await chunk in response.body {
            for line in lines.append(chunk.readableBytesView) {
                let received = now()
                // This process shares the machine's two cores with everything it measures: only
                // the events that end a delivery are parsed (Herald writes compact JSON).
                guard Self.endsADelivery(line) else { continue }
                guard let event = try? JSON.parse(line), let object = event["object"],
                    let name = object["metadata"]?["name"]?.stringValue
                else { continue }
                let phase = object["status"]?["phase"]?.stringValue
                let notification = object["metadata"]?["labels"]?["herald.dev/notification"]?.stringValue ?? ""
                state.withLock { s in
                    // A watch starts with every existing Delivery; only this run's count.
                    guard let created = s.created[notification] else { return }
                    switch phase {
                    case "Delivered":
                        guard s.done.insert(name).inserted else { return }
                        s.lastDelivered = received
                        s.endedAt.append(received)
                        s.latencies.add(received - created)
                    case "Failed":
                        guard s.done.insert(name).inserted else { return }
                        s.failed += 1
                        s.endedAt.append(received)
                    default:
                        break
                    }
                }
            }
        }
    }

    private static let delivered = Array(#""phase":"Delivered""#.utf8)
    private static let failed = Array(#""phase":"Failed""#.utf8)

    static func endsADelivery(_ line: [UInt8]) -> Bool {
        contains(line, delivered) || contains(line, failed)
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// Waits until `count` deliveries have ended (Delivered or Failed), or `timeout` passes.
    func wait(for count: Int, timeout: Double) async throws {
        let deadline = now() + timeout
        while delivered < count {
            guard now() < deadline else {
                throw BenchError("timed out: \(delivered) of \(count) deliveries ended after \(Int(timeout)) s (\(failed) failed)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
