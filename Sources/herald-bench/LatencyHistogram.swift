// A fixed-size log-linear histogram of nanosecond values (the HdrHistogram layout, simplified).
//
// Values below 256 ns have a bucket each; above, every power of two is split into 128 buckets, so a
// bucket is never wider than 1/128 (0.8 %) of its values. 41 powers of two reach 2^48 ns (78 hours):
// 5,376 counters, 43 KB per histogram whatever the number of samples. Buckets are dumped to JSON
// as `[lower, width, count]` so that reports of several processes merge exactly (sum the counts of
// equal `lower`s), and percentiles are computed the same way here and in benchmarks/sse.sh.

/// Counts of nanosecond values in buckets of bounded relative width; mergeable, bounded memory.
struct LatencyHistogram: Sendable {
    /// Buckets of width 1 below this value.
    static let linearLimit: UInt64 = 256
    /// Buckets per power of two above `linearLimit`: the relative precision is 1/128.
    static let subBuckets = 128
    /// Largest value kept exactly in a bucket; larger values count in the last bucket (and in `max`).
    static let maxTrackable: UInt64 = 1 << 48 - 1
    static let bucketCount = Int(linearLimit) + (48 - 8) * subBuckets

    private(set) var counts: [UInt64]
    private(set) var total: UInt64 = 0
    private(set) var min: UInt64 = .max
    private(set) var max: UInt64 = 0
    private(set) var sum: Double = 0

    init() {
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    /// Counts one value. Allocation-free.
    @inline(__always)
    mutating func record(_ value: UInt64) {
        counts[Self.bucketIndex(Swift.min(value, Self.maxTrackable))] &+= 1
        total &+= 1
        if value < min { min = value }
        if value > max { max = value }
        sum += Double(value)
    }

    /// The bucket holding `value` (at most `maxTrackable`).
    @inline(__always)
    static func bucketIndex(_ value: UInt64) -> Int {
        if value < linearLimit { return Int(value) }
        let magnitude = 63 - value.leadingZeroBitCount // 8...47
        let shift = magnitude - 7
        let subBucket = Int(value >> UInt64(shift)) - subBuckets // 0..<128
        return Int(linearLimit) + (magnitude - 8) * subBuckets + subBucket
    }

    /// The smallest value in bucket `index`, and the bucket's width.
    static func bucketBounds(_ index: Int) -> (lower: UInt64, width: UInt64) {
        if index < Int(linearLimit) { return (UInt64(index), 1) }
        let magnitude = (index - Int(linearLimit)) / subBuckets + 8
        let subBucket = UInt64((index - Int(linearLimit)) % subBuckets + subBuckets)
        let shift = UInt64(magnitude - 7)
        return (subBucket << shift, 1 << shift)
    }

    /// The value at quantile `q` (0...1): the middle of the bucket holding the sample of rank
    /// ceil(q × total), never above the exact maximum. 0 when empty.
    func value(atQuantile q: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((q * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank {
                let (lower, width) = Self.bucketBounds(index)
                return Swift.min(lower + (width - 1) / 2, max)
            }
        }
        return max
    }

    var mean: Double { total == 0 ? 0 : sum / Double(total) }

    /// Non-empty buckets as `[lower, width, count]`, for a report that another tool merges.
    var nonEmptyBuckets: [[UInt64]] {
        counts.enumerated().compactMap { index, count in
            guard count > 0 else { return nil }
            let (lower, width) = Self.bucketBounds(index)
            return [lower, width, count]
        }
    }
}
