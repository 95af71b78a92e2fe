import Glibc

/// The two clocks the tool reads, in nanoseconds. Event timestamps are wall-clock time
/// (`CLOCK_REALTIME`), because publisher and subscribers are different processes; intervals that
/// stay inside one process use the monotonic clock.
enum BenchClock {
    /// Nanoseconds since the Unix epoch: what publishers put in `ts=` and what receive times are
    /// compared with. Several processes' reports merge on this clock.
    static func wallNanoseconds() -> UInt64 {
        read(CLOCK_REALTIME)
    }

    /// Nanoseconds on a clock that never jumps, for timers and durations within one process.
    static func monotonicNanoseconds() -> UInt64 {
        read(CLOCK_MONOTONIC)
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
