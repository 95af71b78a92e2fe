import Glibc

/// The open-file limit, checked before a run so that a run too large for one process fails at once
/// with advice instead of part-way with EMFILE.
enum FileDescriptorLimit {
    /// Descriptors kept free for stdio, the event loop's own and report files.
    static let reserve = 64

    /// The soft RLIMIT_NOFILE of this process.
    static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }

    /// How many connections this process can hold.
    static var maxConnections: Int { max(0, current - reserve) }
}
