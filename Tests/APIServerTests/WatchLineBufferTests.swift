import NIOCore
import Synchronization
import Testing

@testable import APIServer

@Suite struct WatchLineBufferTests {
    static func text(_ buffer: ByteBuffer?) -> String? {
        buffer.map { String(buffer: $0) }
    }

    @Test func linesWrittenMeanwhileComeOutAsOneChunk() async {
        let buffer = WatchLineBuffer()
        buffer.append(ByteBuffer(string: "a\n"))
        buffer.append(ByteBuffer(string: "b\n"))
        buffer.append(ByteBuffer(string: "c\n"))
        #expect(Self.text(await buffer.next()) == "a\nb\nc\n")
        buffer.append(ByteBuffer(string: "d\n"))
        buffer.finish()
        buffer.append(ByteBuffer(string: "after the end\n"))
        // What was pending at the end is still read; then the sequence ends.
        #expect(Self.text(await buffer.next()) == "d\n")
        #expect(await buffer.next() == nil)
    }

    @Test func aWaitingReaderWakesOnTheNextLine() async {
        let buffer = WatchLineBuffer()
        let reader = Task { await buffer.next() }
        try? await Task.sleep(for: .milliseconds(50))
        buffer.append(ByteBuffer(string: "late\n"))
        #expect(Self.text(await reader.value) == "late\n")
    }

    @Test func cancellingTheReaderStopsTheProducers() async throws {
        let buffer = WatchLineBuffer()
        let stopped = Mutex(false)
        let producer = Task {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            stopped.withLock { $0 = true }
        }
        buffer.own([producer])
        let reader = Task { await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        reader.cancel()
        #expect(await reader.value == nil)
        await producer.value
        #expect(stopped.withLock { $0 })
        // A producer handed over after the end is stopped at once.
        let late = Task {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
        }
        buffer.own([late])
        await late.value
    }
}
