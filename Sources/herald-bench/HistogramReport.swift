/// A latency histogram as a report shows it: milliseconds for people, buckets for merging.
struct HistogramReport: Codable, Sendable {
    var count: UInt64
    var minMs: Double
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double
    var meanMs: Double
    /// `[lower, width, count]` in nanoseconds, non-empty buckets only (see LatencyHistogram).
    var bucketsNs: [[UInt64]]

    init(_ histogram: LatencyHistogram) {
        count = histogram.total
        minMs = count == 0 ? 0 : Self.milliseconds(histogram.min)
        p50Ms = Self.milliseconds(histogram.value(atQuantile: 0.50))
        p90Ms = Self.milliseconds(histogram.value(atQuantile: 0.90))
        p99Ms = Self.milliseconds(histogram.value(atQuantile: 0.99))
        p999Ms = Self.milliseconds(histogram.value(atQuantile: 0.999))
        maxMs = Self.milliseconds(histogram.max)
        meanMs = histogram.mean / 1e6
        bucketsNs = histogram.nonEmptyBuckets
    }

    static func milliseconds(_ nanoseconds: UInt64) -> Double {
        (Double(nanoseconds) / 1e3).rounded() / 1e3
    }

    /// "p50 1.23 / p90 … / p99 … / max … ms".
    var summary: String {
        "p50 \(format(p50Ms)) / p90 \(format(p90Ms)) / p99 \(format(p99Ms)) / max \(format(maxMs)) ms"
    }
}

/// A number with at most three decimals, for summary lines.
func format(_ value: Double, decimals: Int = 3) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
    return String(rounded)
}
