import Foundation
import HeraldAPI
import Testing

@Suite struct WakeSignalTests {
    /// Whether `wait()` returns within `seconds`.
    func returns(_ signal: WakeSignal, within seconds: Double) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await signal.wait()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func aWakeUpWithNobodyWaitingIsKeptForTheNextWait() async {
        let signal = WakeSignal()
        signal.fire()
        #expect(await returns(signal, within: 1))
    }

    @Test func wakeUpsWhileBusyCoalesceIntoOne() async {
        let signal = WakeSignal()
        signal.fire()
        signal.fire()
        #expect(await returns(signal, within: 1))
        #expect(await !returns(signal, within: 0.1), "a second wait returned without a new wake-up")
    }

    @Test func aWaiterIsWokenByTheNextFire() async {
        let signal = WakeSignal()
        let waiter = Task { await signal.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        signal.fire()
        await waiter.value
    }

    @Test func cancellationEndsAWait() async {
        let signal = WakeSignal()
        let waiter = Task { await signal.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
    }
}
