import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Random (version 4) UUIDs for `metadata.uid`, in the lowercase form Kubernetes uses.
///
/// Foundation's `UUID()` asks the kernel for 16 random bytes on every call: a syscall per
/// object created, about 1 % of a busy controller's CPU. These come from the same source
/// (the kernel's CSPRNG) a page at a time.
public enum ObjectUID {
    private struct Pool {
        var bytes: [UInt8] = []
        var next = 0
    }

    private static let pool = Mutex(Pool())
    private static let pageSize = 4096

    public static func make() -> String {
        var raw = pool.withLock { p -> [UInt8] in
            if p.next + 16 > p.bytes.count {
                p.bytes = randomPage()
                p.next = 0
            }
            defer { p.next += 16 }
            return Array(p.bytes[p.next..<p.next + 16])
        }
        raw[6] = (raw[6] & 0x0f) | 0x40  // version 4
        raw[8] = (raw[8] & 0x3f) | 0x80  // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { out in
            var i = 0
            for (n, byte) in raw.enumerated() {
                if n == 4 || n == 6 || n == 8 || n == 10 {
                    out[i] = UInt8(ascii: "-")
                    i += 1
                }
                out[i] = HexDigits.lowercase(byte >> 4)
                out[i + 1] = HexDigits.lowercase(byte)
                i += 2
            }
            return i
        }
    }

    /// A page of random bytes in one read; the generator's `next()` makes a call per 8 bytes.
    private static func randomPage() -> [UInt8] {
        var page = [UInt8](repeating: 0, count: pageSize)
        #if canImport(Glibc)
            // getrandom(2) is not exported to Swift; /dev/urandom is the same source.
            let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                defer { close(fd) }
                let filled = page.withUnsafeMutableBytes { read(fd, $0.baseAddress, pageSize) }
                if filled == pageSize { return page }
            }
        #endif
        var generator = SystemRandomNumberGenerator()
        page.withUnsafeMutableBytes { buffer in
            for offset in stride(from: 0, to: pageSize, by: 8) {
                buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
            }
        }
        return page
    }
}
