import HeraldAPI
import NIOCore
import Synchronization

/// The lines waiting to be written to one watch response. Under load many events arrive while
/// one write is in flight; the writer then takes them all as one chunk (one syscall), instead of
/// a chunk, a flush and a task hop for each line.
final class WatchLineBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    private struct State {
        var pending = ByteBuffer()
        var finished = false
        var producers: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// Fired on every change; the one reader takes all that is pending when it wakes.
    private let changed = WakeSignal()

    /// Tasks that feed this buffer; `cancel()` stops them.
    func own(_ tasks: [Task<Void, Never>]) {
        let cancelled = state.withLock { s in
            s.producers += tasks
            return s.finished
        }
        if cancelled { for task in tasks { task.cancel() } }
    }

    func append(_ line: ByteBuffer) {
        let appended = state.withLock { s in
            guard !s.finished else { return false }
            s.pending.writeImmutableBuffer(line)
            return true
        }
        if appended { changed.fire() }
    }

    /// No more lines; what is pending is still read.
    func finish() {
        state.withLock { $0.finished = true }
        changed.fire()
    }

    /// Stops the producers and ends the sequence (the client went away, or the server stops).
    func cancel() {
        let tasks = state.withLock { s in
            s.finished = true
            s.pending.clear()
            defer { s.producers = [] }
            return s.producers
        }
        for task in tasks { task.cancel() }
        changed.fire()
    }

    /// Everything pending as one buffer, waiting for a line when there is none; nil at the end.
    func next() async -> ByteBuffer? {
        while true {
            enum Step {
                case lines(ByteBuffer)
                case end
                case wait
            }
            let step = state.withLock { s -> Step in
                if s.pending.readableBytes > 0 {
                    defer { s.pending = ByteBuffer() }
                    return .lines(s.pending)
                }
                return s.finished ? .end : .wait
            }
            switch step {
            case .lines(let buffer): return buffer
            case .end: return nil
            case .wait:
                if !Task.isCancelled { await changed.wait() }
                // A reader cancelled while waiting (the client went away) stops the producers.
                if Task.isCancelled {
                    cancel()
                    return nil
                }
            }
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: WatchLineBuffer
        mutating func next() async -> ByteBuffer? { await buffer.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: self) }
}
