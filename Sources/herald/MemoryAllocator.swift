import CJemalloc

/// The allocator serving this process, for the startup log lines. `herald` links jemalloc, whose
/// `malloc` takes the place of the C library's for every allocation of the process.
enum MemoryAllocator {
    static let description: String = {
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "malloc" }
        return "jemalloc " + String(cString: version)
    }()
}
