/// The `process_*` families of the Prometheus client conventions (CPU, resident memory,
/// descriptors against their limit, start time), made from the text Linux keeps under /proc.
/// Reading the files is the caller's; a figure that could not be read is nil and left out.
public struct ProcessFigures: Sendable, Equatable {
    public var cpuSeconds: Double?
    public var residentBytes: Int?
    public var openFDs: Int?
    public var maxFDs: Int?
    /// Seconds since the Unix epoch.
    public var startTimeSeconds: Double?

    public init(cpuSeconds: Double? = nil, residentBytes: Int? = nil, openFDs: Int? = nil, maxFDs: Int? = nil,
                startTimeSeconds: Double? = nil) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.openFDs = openFDs
        self.maxFDs = maxFDs
        self.startTimeSeconds = startTimeSeconds
    }

    /// The figures in `/proc/self/stat` (`stat`) with `/proc/stat`'s boot time (`systemStat`):
    /// user and system time, start time (in clock ticks since boot) and resident pages.
    public init(stat: String, systemStat: String?, ticksPerSecond: Int, pageSize: Int, openFDs: Int?, maxFDs: Int?) {
        self.init(openFDs: openFDs, maxFDs: maxFDs)
        guard let fields = Self.statFields(stat), ticksPerSecond > 0 else { return }
        // After the name: field 3 is the state, so field n is at index n - 3 (proc(5)).
        func field(_ number: Int) -> Int? { fields.count > number - 3 ? Int(fields[number - 3]) : nil }
        if let user = field(14), let system = field(15) {
            cpuSeconds = Double(user + system) / Double(ticksPerSecond)
        }
        if let pages = field(24), pageSize > 0 { residentBytes = pages * pageSize }
        if let started = field(22), let boot = systemStat.flatMap(Self.bootTime) {
            startTimeSeconds = Double(boot) + Double(started) / Double(ticksPerSecond)
        }
    }

    /// The fields of `/proc/<pid>/stat` after the command name, which is in parentheses and may
    /// itself hold spaces and parentheses (so the last ")" ends it).
    static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        return fields.isEmpty ? nil : fields
    }

    /// `btime` of `/proc/stat`: when the system booted, in seconds since the epoch.
    static func bootTime(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst("btime ".count).trimmingSpaces)
        }
        return nil
    }

    /// The families in the Prometheus text format, each with its HELP and TYPE lines.
    public var exposition: String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(PrometheusValue.format(value))\n"
        }
        family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds)
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes.map(Double.init))
        family("process_open_fds", "gauge", "Number of open file descriptors.", openFDs.map(Double.init))
        family("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFDs.map(Double.init))
        family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds)
        return text
    }
}

/// A sample's value as the text format writes it: integers without a fraction.
enum PrometheusValue {
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" || text.last == "\r" { text = text.dropLast() }
        return text
    }
}
