import HeraldAPI
import Synchronization
import Testing

@Suite struct MemoTests {
    final class Count: Sendable {
        let value = Mutex(0)
    }

    @Test func makesEachKeyOnceEvenWhenAskedConcurrently() async {
        let memo = Memo<Int, Int>()
        let made = Count()
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    memo.value(for: 7) {
                        made.value.withLock { $0 += 1 }
                        return 49
                    }
                }
            }
            for await v in group { #expect(v == 49) }
        }
        #expect(made.value.withLock { $0 } == 1)
    }

    @Test func dropsEverythingPastCapacityAndAFailedMakeKeepsNothing() throws {
        let memo = Memo<String, Int>(capacity: 2)
        let made = Mutex<[String]>([])
        let make: (String) -> Int = { key in
            made.withLock { $0.append(key) }
            return key.count
        }
        for key in ["a", "bb", "ccc", "a", "ccc"] { _ = memo.value(for: key) { make(key) } }
        // "ccc" came when two were kept: both went; "a" was made again, "ccc" was still kept.
        #expect(made.withLock { $0 } == ["a", "bb", "ccc", "a"])
        struct Refused: Error {}
        #expect(throws: Refused.self) { try memo.value(for: "z") { () throws(Refused) -> Int in throw Refused() } }
        #expect(memo.value(for: "z") { 26 } == 26)
    }
}
