internal import CLibevent
import Glibc

/// Process-wide settings a server makes once, at start-up, for what the kernel and the C heap
/// would otherwise do at the worst moment.
public enum ProcessTuning {
    /// glibc gives the top of its heap back to the kernel (brk) whenever 128 KiB of it is free,
    /// and takes it back on the next allocations, which then fault in fresh zeroed pages. A server
    /// that allocates and frees a few kilobytes per request crosses that line all the time:
    /// measured here, 380 page faults per 1,000 proxied requests, about a microsecond each. Keeping
    /// up to `bytes` free at the top (per heap) stops that; the memory is reused, not lost.
    public static func keepFreeHeapTop(upTo bytes: Int) {
        mallopt(M_TRIM_THRESHOLD, Int32(clamping: bytes))
    }

    /// Grows the kernel's descriptor table to the open-file limit now. It grows by doubling when
    /// a new descriptor passes its size (256, 512, 1,024, …), and in a process with several
    /// threads each growth waits for an RCU grace period: measured here, accept4 stalled 13–20 ms
    /// at descriptors 256, 512, 1,024 and 2,048, which a subscribe storm saw as its slowest
    /// subscriptions. A table for 20,000 descriptors costs about 160 KiB.
    public static func growDescriptorTable() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur > 3 else { return }
        let highest = Int32(clamping: min(limit.rlim_cur, 1 << 20) - 1)
        if dup2(2, highest) == highest { _ = Glibc.close(highest) }
    }
}
