/// Admission control for a storm of new streams (`limits.stream_opens_per_second`): a token
/// bucket per loop that refills at the loop's share of the rate and holds at most one second of
/// it, so a burst up to the rate passes at once and a storm beyond it is refused (503 with a
/// jittered Retry-After, spreading the retries) instead of taking the loop down. The clock comes
/// from the caller, so tests drive it by hand.
public struct StreamOpenRate: Sendable {
    /// Opens per second this bucket admits; 0: no limit.
    public let perSecond: Double
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant?

    public init(perSecond: Double) {
        self.perSecond = perSecond
        tokens = perSecond
    }

    /// Takes one open at `now`; false when the bucket is empty (refuse the stream).
    public mutating func admit(at now: ContinuousClock.Instant) -> Bool {
        guard perSecond > 0 else { return true }
        if let refilledAt {
            let (seconds, attoseconds) = (now - refilledAt).components
            let elapsed = Double(seconds) + Double(attoseconds) / 1e18
            tokens = min(perSecond, tokens + elapsed * perSecond)
        }
        refilledAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// The Retry-After (seconds) for a refused open: 1 to 5 at random, so the refused clients do
    /// not come back in step.
    public static func retryAfter() -> Int { Int.random(in: 1...5) }
}
