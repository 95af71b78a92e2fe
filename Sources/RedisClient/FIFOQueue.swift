/// A first-in first-out queue: an array read from `head` on, whose read front is dropped now and
/// then, so pushes and pops are O(1) amortized and memory follows what is queued. A popped slot is
/// cleared at once, so what an element holds (a completion's captures) is released when popped.
struct FIFOQueue<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head].take()
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.count <= Self.keptCapacity)
            head = 0
        } else if head >= Self.keptCapacity && head * 2 >= storage.count {
            // Most of the array is read: drop the front (a move of what is left, at most as many
            // elements as were popped since the last move).
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Changes the first element in place (a precondition: there is one).
    mutating func updateFirst(_ body: (inout Element) -> Void) {
        body(&storage[head]!)
    }

    /// Empties the queue, returning what it held, oldest first.
    mutating func removeAll() -> [Element] {
        defer {
            storage = []
            head = 0
        }
        return storage[head...].map { $0! }
    }

    /// An emptied queue keeps its array up to this many elements (a pipelined burst's worth), so a
    /// connection that keeps a few hundred commands in flight does not reallocate every turn.
    static var keptCapacity: Int { 1024 }
}
