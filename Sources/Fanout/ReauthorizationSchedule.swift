/// Which of a loop's streams to re-authorize now, so that each is checked once per interval and
/// the checks are spread evenly over it: never a burst, not even after a restart brought every
/// stream back in the same second.
///
/// Streams wait in a queue in the order they opened. Every `tick` the schedule earns
/// `count × tick / interval` checks (fractions carry over, exactly) and takes that many from the front;
/// each goes to the back to wait for its next turn. A stream is reached within about one interval
/// of its last check: everything ahead of it is taken at the rate that empties the queue in one
/// interval. Not thread-safe: each loop has its own.
public struct ReauthorizationSchedule<ID: Hashable> {
    public let interval: Duration
    /// How often `due` is called: at most a second, and at least ten times per interval, so the
    /// checks of a short interval still come in small, even slices.
    public let tick: Duration
    private var queue: [ID] = []
    /// Where the queue starts in `queue` (taken entries before it are compacted away in bulk).
    private var head = 0
    private var members = Set<ID>()
    /// Checks earned and not yet taken, in stream-milliseconds (a check costs `intervalMilliseconds`):
    /// whole numbers, so the share of a tick never drifts as floating-point fractions would.
    private var credit = 0
    private let intervalMilliseconds: Int
    private let tickMilliseconds: Int

    public init(interval: Duration) {
        self.interval = interval
        tick = min(.seconds(1), interval / 10)
        intervalMilliseconds = max(1, Self.milliseconds(interval))
        tickMilliseconds = max(1, Self.milliseconds(tick))
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    public var count: Int { members.count }

    /// Adds a stream, checked for the first time about one interval from now.
    public mutating func add(_ id: ID) {
        guard members.insert(id).inserted else { return }
        queue.append(id)
    }

    /// Removes a stream (it closed); its queue entry is skipped when reached.
    public mutating func remove(_ id: ID) {
        members.remove(id)
        if members.isEmpty {
            queue.removeAll(keepingCapacity: true)
            head = 0
            credit = 0
        }
    }

    /// Fires every `tick`: the streams to check now, at most `limit` of them (the checks that may
    /// start). Checks held back by `limit` stay owed and come on the next ticks.
    public mutating func due(limit: Int) -> [ID] {
        guard !members.isEmpty else { return [] }
        // At most one round owed: a loop that fell behind catches up, it does not burst.
        credit = min(credit + members.count * tickMilliseconds, members.count * intervalMilliseconds)
        var taken: [ID] = []
        while taken.count < min(credit / intervalMilliseconds, limit), head < queue.count {
            let id = queue[head]
            head += 1
            guard members.contains(id) else { continue }
            taken.append(id)
            queue.append(id)
        }
        credit -= taken.count * intervalMilliseconds
        // Drop the consumed front once it is most of the array: amortized O(1) per take.
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return taken
    }
}
