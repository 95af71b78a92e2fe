// Checks one subscriber's `seq=` numbers in 40 bytes, whatever the number of events.
//
// With one publisher connection the numbers should go up by one. With several, publishes race to
// the server and may be fanned out in another order, so a bitmap of the 64 numbers at and below the
// highest seen tells a late arrival (reordered) from a repeat (duplicate). A number that leaves the
// window unseen is lost; one that turns up more than 64 behind the highest is counted apart, since
// it may be either.

/// Lost, duplicated and reordered events of one subscriber.
struct SequenceTracker: Sendable {
    /// Numbers this far below the highest are still told apart: far more than 16 connections reorder.
    static let window: UInt64 = 64

    /// The highest sequence number seen (0 before the first).
    private(set) var highest: UInt64 = 0
    /// Bit i set: number `highest - i` was seen. Numbers ≤ 0 do not exist and count as seen, so
    /// events before the first one received count as lost.
    private var seen: UInt64 = .max
    /// Numbers that left the window unseen.
    private var lostBehindWindow: UInt64 = 0
    private(set) var duplicates: UInt64 = 0
    /// Numbers that arrived after a higher one (at most `window` behind).
    private(set) var reordered: UInt64 = 0
    /// Numbers that arrived more than `window` behind the highest: already counted lost, or repeats.
    private(set) var farBehind: UInt64 = 0

    @inline(__always)
    mutating func observe(_ sequence: UInt64) {
        if sequence > highest {
            let shift = sequence - highest
            if shift >= Self.window {
                lostBehindWindow &+= UInt64(64 - seen.nonzeroBitCount) + (shift - Self.window)
                seen = 1
            } else {
                let leaving = seen >> (Self.window - shift)
                lostBehindWindow &+= shift - UInt64(leaving.nonzeroBitCount)
                seen = seen << shift | 1
            }
            highest = sequence
            return
        }
        let behind = highest - sequence
        guard behind < Self.window else {
            farBehind &+= 1
            return
        }
        let bit: UInt64 = 1 << behind
        if seen & bit != 0 {
            duplicates &+= 1
        } else {
            seen |= bit
            reordered &+= 1
        }
    }

    /// Numbers up to the highest that were never seen (gaps).
    var lostInGaps: UInt64 {
        lostBehindWindow + UInt64(64 - seen.nonzeroBitCount)
    }

    /// True when the last `window` numbers up to the highest all arrived: nothing late is still
    /// worth waiting for.
    var windowIsComplete: Bool { seen == .max }

    /// Numbers never received at the end of a run that published `expected` events.
    func lostAtEnd(expected: UInt64) -> UInt64 {
        expected > highest ? expected - highest : 0
    }
}
