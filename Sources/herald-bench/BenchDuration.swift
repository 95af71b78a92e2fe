import ArgumentParser

/// A command-line duration: `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
struct BenchDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var nanoseconds: UInt64

    init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    init(seconds: Double) { nanoseconds = UInt64(max(0, seconds) * 1e9) }

    init?(argument: String) {
        let units: [(suffix: String, scale: Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var number = Substring(argument)
        var scale = 1e9
        // "ms" is tried before "s" and "m" so that it is not read as minutes or seconds.
        for unit in units where argument.hasSuffix(unit.suffix) {
            number = argument.dropLast(unit.suffix.count)
            scale = unit.scale
            break
        }
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        nanoseconds = UInt64(value * scale)
    }

    var duration: Duration { .nanoseconds(Int64(clamping: nanoseconds)) }
    var seconds: Double { Double(nanoseconds) / 1e9 }
    var description: String { "\(seconds)s" }
}
