import HeraldConfig
import LibeventIO

/// The publish listener's access log: an `AccessLog` buffer of its own on the publish loop,
/// flushed each second (and at shutdown) as the workers' are.
final class PublishAccessLog {
    private var log: AccessLog
    private let loop: EventLoop
    private var flushTimer: LoopTimer?
    /// False for `log.access = "off"`: nothing is timed or recorded.
    private(set) var isOn: Bool

    init(format: AccessLogFormat, loop: EventLoop) {
        log = AccessLog(format: format)
        self.loop = loop
        isOn = format != .off
        if isOn { startFlushing() }
    }

    /// A reload: lines from now on are in `format` (those buffered go out first).
    func apply(format: AccessLogFormat) {
        guard format != log.format else { return }
        log.flush()
        log = AccessLog(format: format)
        isOn = format != .off
        if !isOn {
            flushTimer = nil
        } else if flushTimer == nil {
            startFlushing()
        }
    }

    private func startFlushing() {
        let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in self.log.flush() }
        timer.schedule(after: .seconds(1))
        flushTimer = timer
    }

    func record(_ entry: AccessLog.Entry) {
        log.record(entry)
    }

    func flush() {
        log.flush()
    }
}
