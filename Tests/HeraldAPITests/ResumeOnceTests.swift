import HeraldAPI
import Synchronization
import Testing

@Suite struct ResumeOnceTests {
    @Test func anOutcomeAfterRegistrationResumesTheWaiterOnce() async {
        let slot = Mutex(ResumeOnce<Int, Never>())
        let value = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            #expect(slot.withLock { $0.register(c) } == nil)
            #expect(!slot.withLock { $0.isSettled })
            slot.withLock { $0.settle(.success(1)) }?.resume(returning: 1)
            #expect(slot.withLock { $0.settle(.success(2)) } == nil, "a second outcome found a continuation to resume")
        }
        #expect(value == 1)
        #expect(slot.withLock { $0.isSettled })
    }

    /// A timeout or cancellation that overtakes the registration: the waiter gets it as it registers.
    @Test func anOutcomeBeforeRegistrationIsGivenAsItRegisters() async {
        let slot = Mutex(ResumeOnce<Int, Never>())
        #expect(slot.withLock { $0.settle(.success(7)) } == nil)
        #expect(slot.withLock { $0.isSettled })
        #expect(slot.withLock { $0.settle(.success(8)) } == nil, "a later outcome replaced the first")
        let value = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            let early = slot.withLock { $0.register(c) }
            #expect(early.map { $0.get() } == 7)
            if let early { c.resume(with: early) }
        }
        #expect(value == 7)
    }
}
