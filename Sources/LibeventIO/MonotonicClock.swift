import Glibc

/// The kernel's coarse monotonic clock (CLOCK_MONOTONIC_COARSE), for timeouts: as cheap to read
/// as a memory load, and as fine as the scheduler's tick.
public enum MonotonicClock {
    /// Now, in nanoseconds.
    @inline(__always)
    public static func coarseNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// `duration` in nanoseconds (0 for a negative one).
    public static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    /// How far a reading may lag behind the true time, in nanoseconds (one tick).
    public static let coarseResolution: UInt64 = {
        var resolution = timespec()
        clock_getres(CLOCK_MONOTONIC_COARSE, &resolution)
        return UInt64(resolution.tv_sec) * 1_000_000_000 + UInt64(resolution.tv_nsec)
    }()
}
