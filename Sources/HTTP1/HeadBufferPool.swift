/// Spare arrays for parsed heads, so that a loop parsing head after head reuses their memory.
///
/// A parsed head keeps its bytes and its list of lines in two arrays. A connection that is done
/// with a head hands its fields back here (`recycle`), and the next head parsed with this pool
/// fills those arrays instead of allocating two and, later, freeing them. Safe whatever still
/// shares a recycled array: emptying one that is shared copies it first (copy-on-write), which
/// allocates as if there were no pool. Bounded: at most `maxSpares` of each, and only arrays
/// small enough that a head kept for long (a subscriber's request) does not hold much for nothing.
public struct HeadBufferPool {
    /// One per connection a loop has in flight at once, for the usual load; beyond it, allocating
    /// costs what it did without the pool.
    static let maxSpares = 64
    /// Bytes of a head kept for reuse at most: most heads are well below 1 KiB.
    static let maxSpareBytes = 2048
    /// Lines of a head kept for reuse at most.
    static let maxSpareLines = 32
    /// What a fresh list of lines reserves, so that appending a usual head's lines never grows it.
    static let initialLines = 16

    private var bytes: [[UInt8]] = []
    private var lines: [[HTTPFields.Line]] = []

    public init() {}

    /// Moves the arrays of `fields` here, for a head parsed later (when they are small enough and
    /// there is room); `fields` is left empty.
    public mutating func recycle(_ fields: inout HTTPFields) {
        fields.moveArrays(into: &self)
    }

    /// Keeps the arrays of `fields`, still held there, for a head parsed after `fields` are gone.
    public mutating func recycle(_ fields: borrowing HTTPFields) {
        fields.shareArrays(with: &self)
    }

    mutating func keep(bytes spare: consuming [UInt8], lines spareLines: consuming [HTTPFields.Line]) {
        if bytes.count < Self.maxSpares && spare.capacity <= Self.maxSpareBytes { bytes.append(spare) }
        if lines.count < Self.maxSpares && spareLines.capacity <= Self.maxSpareLines { lines.append(spareLines) }
    }

    /// How many spares wait, of each kind.
    var spareCounts: (bytes: Int, lines: Int) { (bytes.count, lines.count) }

    /// A copy of `source`, in a spare's memory when there is one.
    mutating func bytes(copying source: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard var spare = bytes.popLast() else { return Array(source) }
        // One call, not emptying then appending: each is a pass through replaceSubrange.
        spare.replaceSubrange(spare.indices, with: source)
        return spare
    }

    /// An empty list of lines with room for a usual head, reusing a spare's memory when there is one.
    mutating func takeLines() -> [HTTPFields.Line] {
        guard var spare = lines.popLast() else {
            var fresh: [HTTPFields.Line] = []
            fresh.reserveCapacity(Self.initialLines)
            return fresh
        }
        spare.removeAll(keepingCapacity: true)
        return spare
    }
}
