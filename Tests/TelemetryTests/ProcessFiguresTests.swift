import Testing
@testable import Telemetry

@Suite struct ProcessFiguresTests {
    // A real line of /proc/self/stat, its command name holding a space and parentheses.
    private let stat = "4242 (herald (x) y) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 50 0 0 20 0 3 0 12345 "
        + "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"
    private let systemStat = "cpu  1 2 3 4\nintr 12 3\nctxt 99\nbtime 1700000000\nprocesses 5\n"

    @Test func cpuRssAndStartTimeComeFromTheFieldsAfterTheName() {
        let figures = ProcessFigures(stat: stat, systemStat: systemStat, ticksPerSecond: 100, pageSize: 4096,
                                     openFDs: 12, maxFDs: 1024)
        #expect(figures.cpuSeconds == 3.0)                       // (250 + 50) ticks / 100
        #expect(figures.residentBytes == 2048 * 4096)
        #expect(figures.startTimeSeconds == 1_700_000_000 + 123.45)
        #expect(figures.openFDs == 12)
        #expect(figures.maxFDs == 1024)
    }

    @Test func unreadableTextLeavesTheFiguresOut() {
        let figures = ProcessFigures(stat: "garbage", systemStat: nil, ticksPerSecond: 100, pageSize: 4096, openFDs: nil, maxFDs: 8)
        #expect(figures == ProcessFigures(maxFDs: 8))
        #expect(figures.exposition == "# HELP process_max_fds Maximum number of open file descriptors.\n"
            + "# TYPE process_max_fds gauge\nprocess_max_fds 8\n")
        let noBoot = ProcessFigures(stat: stat, systemStat: "cpu 1\n", ticksPerSecond: 100, pageSize: 4096, openFDs: nil, maxFDs: nil)
        #expect(noBoot.startTimeSeconds == nil)
        #expect(noBoot.cpuSeconds == 3.0)
    }

    @Test func theExpositionGivesEveryFamilyItsHelpBeforeItsType() {
        let text = ProcessFigures(cpuSeconds: 1.5, residentBytes: 10, openFDs: 3, maxFDs: 4, startTimeSeconds: 1_700_000_000.25)
            .exposition
        let lines = text.split(separator: "\n")
        #expect(lines.count == 15)
        for index in stride(from: 0, to: lines.count, by: 3) {
            let name = lines[index + 2].split(separator: " ")[0]
            #expect(lines[index].hasPrefix("# HELP \(name) "))
            #expect(lines[index + 1].hasPrefix("# TYPE \(name) "))
        }
        #expect(lines.contains("process_cpu_seconds_total 1.5"))
        #expect(lines.contains("# TYPE process_cpu_seconds_total counter"))
        #expect(lines.contains("process_resident_memory_bytes 10"))
        #expect(lines.contains("process_start_time_seconds 1700000000.25"))
    }
}
