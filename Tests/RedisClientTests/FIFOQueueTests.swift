@testable import RedisClient
import Testing

struct FIFOQueueTests {
    @Test func elementsComeOutInOrderAcrossCompactions() {
        var queue = FIFOQueue<Int>()
        var expected = 0
        for round in 0..<5 {
            for value in 0..<3000 { queue.append(round * 3000 + value) }
            for _ in 0..<2500 {
                #expect(queue.popFirst() == expected)
                expected += 1
            }
        }
        #expect(queue.count == 2500)
        #expect(queue.first == expected)
        queue.updateFirst { $0 = -1 }
        #expect(Array(queue.removeAll()).first == -1)
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
    }

    /// A popped element is released at once, not when the array's front is next dropped.
    @Test func aPoppedElementIsReleasedAtOnce() {
        final class Token {}
        var queue = FIFOQueue<Token>()
        weak var popped: Token?
        do {
            let token = Token()
            popped = token
            queue.append(token)
            queue.append(Token())
        }
        _ = queue.popFirst()
        #expect(popped == nil)
        #expect(queue.count == 1)
    }
}
