import Broker
import Foundation
import HeraldAPI
import Synchronization
import Testing

@testable import herald

/// How the worker packs results into `herald.results` messages, and that every job waiting for
/// its result's publish hears how it went.
@Suite struct ResultPackerTests {
    static func entry(_ i: Int, bytes: Int = 10, correlation: String? = "c") -> ResultPacker.Entry {
        ResultPacker.Entry(encoded: Array(repeating: UInt8(ascii: "x"), count: bytes), messageID: "u\(i).1", correlationID: correlation)
    }

    @Test func packsUpToTheCountBound() {
        let packer = ResultPacker(queue: "herald.results", maxResults: 3)
        let messages = packer.messages((0..<7).map { Self.entry($0) })
        // Three entries of 10 bytes, their commas and the brackets.
        #expect(messages.map(\.body.count) == [34, 34, 10])
        #expect(messages.map(\.messageID) == ["u0.1+2", "u3.1+2", "u6.1"])
        #expect(messages.allSatisfy { $0.routingKey == "herald.results" && $0.exchange == "" && $0.correlationID == "c" })
        // The lone last one is the result itself, as a worker sent it before packing.
        #expect(messages.last?.body == Self.entry(6).encoded)
    }

    @Test func packsUpToTheSizeBound() {
        // Each entry takes 11 bytes packed; with the brackets three fit in 40 bytes, four do not.
        let packer = ResultPacker(queue: "q", maxResults: 100, maxBytes: 40)
        let messages = packer.messages((0..<7).map { Self.entry($0) })
        #expect(messages.map(\.body.count) == [34, 34, 10])
        #expect(messages.allSatisfy { $0.body.count <= 40 })
        // A result larger than the bound still goes, alone.
        let big = packer.messages([Self.entry(0), Self.entry(1, bytes: 100), Self.entry(2)])
        #expect(big.map(\.body.count) == [10, 100, 10])
    }

    @Test func aMixedPackKeepsNoCorrelationID() {
        let packer = ResultPacker(queue: "q")
        let messages = packer.messages([Self.entry(0, correlation: "a"), Self.entry(1, correlation: "b")])
        #expect(messages.count == 1)
        #expect(messages.first?.correlationID == nil)
        #expect(messages.first?.messageID == "u0.1+1")
    }

    /// A broker call that waits until released, records what it was given, and fails on request.
    final class GatedSend: Sendable {
        let calls = Mutex<[[OutgoingMessage]]>([])
        /// Whether each publish returned normally, by entry.
        let outcomes = Mutex<[Int: Bool]>([:])
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let fail: Bool

        init(fail: Bool) { self.fail = fail }

        func send(_ messages: [OutgoingMessage]) async throws {
            calls.withLock { $0.append(messages) }
            if calls.withLock({ $0.count }) == 1 {
                // Holds the first call so that the others pile up behind it.
                await withCheckedContinuation { c in gate.withLock { $0 = c } }
            }
            if fail { throw BrokerError.invalidArgument("refused") }
        }

        func release() async {
            while true {
                let held = gate.withLock { g -> CheckedContinuation<Void, Never>? in
                    let c = g
                    g = nil
                    return c
                }
                if let c = held {
                    c.resume()
                    return
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    @Test(arguments: [false, true]) func everyWaiterHearsTheOutcome(fail: Bool) async throws {
        let send = GatedSend(fail: fail)
        let packer = ResultPacker(queue: "q", maxResults: 4)
        let batcher = GroupCommit<ResultPacker.Entry, Void>(allOrNothing: { try await send.send(packer.messages($0)) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await batcher.submit(Self.entry(0))
                    send.outcomes.withLock { $0[0] = true }
                } catch { send.outcomes.withLock { $0[0] = false } }
            }
            // The first publish is in flight; ten more pile up behind it.
            while send.calls.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
            for i in 1...10 {
                group.addTask {
                    do {
                        try await batcher.submit(Self.entry(i))
                        send.outcomes.withLock { $0[i] = true }
                    } catch { send.outcomes.withLock { $0[i] = false } }
                }
                // One at a time, so they pile up in this order (child tasks start in any order).
                while batcher.waiting < i { try await Task.sleep(for: .milliseconds(1)) }
            }
            await send.release()
            try await group.waitForAll()
        }
        #expect(send.outcomes.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0...10).map { ($0, !fail) }))
        // One call for the first, then one call carrying the ten that piled up, in packs of four.
        let calls = send.calls.withLock { $0 }
        #expect(calls.map(\.count) == [1, 3])
        #expect(calls.last?.map(\.messageID) == ["u1.1+3", "u5.1+3", "u9.1+1"])
    }
}
