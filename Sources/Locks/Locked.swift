import Glibc

/// A value that several threads share, behind a pthread mutex: a loop's queue of work handed from
/// other threads, the hub's channels, the metrics' per-loop counts.
///
/// Not `Synchronization.Mutex`: on Linux that one locks with futexes, which ThreadSanitizer cannot
/// see, so it reported every access it guards as a race (`scripts/sanitized-tests thread`).
/// ThreadSanitizer intercepts pthread's mutex, which costs the same when nobody else holds it.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is read and written only inside `withLock`, under `mutex`.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the lock held; `body` must not call `withLock` on this again.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
