import Cluster
import EventStream
import Testing

@Suite struct ClusterEventTests {
    static let samples: [ClusterEvent] = [
        ClusterEvent(g: 7, previous: 3, epoch: "k2x9q0ab", time: 1_700_000_000_123, id: "k2x9q0ab-7",
                     content: .event(ServerSentEvent(id: "k2x9q0ab-7", data: "hello"))),
        ClusterEvent(g: 1, previous: 0, epoch: "e", time: 0, id: "order 5 ✓",
                     content: .event(ServerSentEvent(id: "order 5 ✓", event: "update", data: "a\r\nb\rc\nd\u{0}e 👍🏽", retry: 1500)),
                     channels: ["news", "user:42"]),
        ClusterEvent(g: 2, previous: 1, epoch: "e", time: 5, id: "",
                     content: .event(ServerSentEvent(id: "", event: "", data: "", retry: 0))),
        ClusterEvent(g: UInt64.max, previous: UInt64.max - 1, epoch: "e", time: Int64.max, id: "x",
                     content: .raw([0, 13, 10, 0xFF, 0xFE, 32, 10])),
        ClusterEvent(g: 3, previous: 2, epoch: "e", time: 9, id: "r", content: .raw([])),
    ]

    @Test(arguments: samples)
    func aMessageDecodesToTheEventItWasEncodedFrom(event: ClusterEvent) throws {
        #expect(try ClusterEvent.decode(message: event.encodedMessage()) == event)
    }

    @Test func theMessageFormatIsAHeaderLineThenTheFieldsBackToBack() {
        let event = ClusterEvent(g: 12, previous: 9, epoch: "abc", time: 1000, id: "id1",
                                 content: .event(ServerSentEvent(id: "id1", event: "ty", data: "d\nd", retry: 30)), channels: ["a", "b"])
        #expect(event.encodedMessage() == Array("abc 12 9 1000 e 3 2 2 3\nid1ty30a bd\nd".utf8))
        let raw = ClusterEvent(g: 1, previous: 0, epoch: "abc", time: 1, id: "", content: .raw(Array("x y".utf8)))
        #expect(raw.encodedMessage() == Array("abc 1 0 1 r 0 -1 -1 -1\nx y".utf8))
    }

    @Test(arguments: [
        ("", "no line feed ends the header (reading epoch)"),
        ("e 1 0 5 e 0 -1 -1 -1", "no line feed ends the header (reading len(c))"),
        ("e 1 0 5 e 0 -1 -1\n", "the header line ends at len(r), expected 9 fields"),
        ("e x 0 5 e 0 -1 -1 -1\n", "g is not a decimal"),
        ("e 1 0 5 e 0 -1 -1 -2\n", "len(c) is not a decimal"),
        ("e 1 0 5 e -1 -1 -1 -1\n", "len(i) is not a decimal"),
        ("e 99999999999999999999 0 5 e 0 -1 -1 -1\n", "g is not a decimal"),
        ("e 1 0 5 e 4 -1 -1 -1\nab", "len(i) says 4 bytes, only 2 left"),
        ("e 1 0 5 e 1 9999999999999999 -1 -1\nab", "len(y) says"),
        ("e 1 0 5 x 0 -1 -1 -1\n", "k is \"x\", expected e or r"),
        ("e 1 0 5 r 0 1 -1 -1\nt", "raw content (k = r) with a type"),
        ("e 1 0 5 e 0 -1 2 -1\n1x", "r is not a decimal"),
        ("e 1 0 5 e 0 -1 -1 4\na  b", "empty channel name"),
    ])
    func aMalformedMessageIsAnErrorNamingTheProblem(message: String, problem: String) {
        do {
            let event = try ClusterEvent.decode(message: Array(message.utf8))
            Issue.record("decoded \(event)")
        } catch {
            #expect(error.reason.hasPrefix("pub/sub message: "))
            #expect(error.reason.contains(problem), "\(error.reason)")
        }
    }

    @Test func textThatIsNotUTF8IsRefused() {
        let message = Array("e 1 0 5 e 2 -1 -1 -1\n".utf8) + [0xC3, 0x28] + Array("data".utf8)
        #expect(throws: ClusterError(reason: "pub/sub message: i is not UTF-8")) { try ClusterEvent.decode(message: message) }
        let badData = Array("e 1 0 5 e 0 -1 -1 -1\n".utf8) + [0xF0, 0x9F, 0x98]
        #expect(throws: ClusterError(reason: "pub/sub message: d is not UTF-8")) { try ClusterEvent.decode(message: badData) }
    }

    @Test func anEntryDecodesFromItsIdAndFields() throws {
        let fields: [(String, String)] = [("p", "4"), ("t", "1700"), ("i", "x1"), ("k", "e"), ("y", "note"), ("r", "10"),
                                          ("c", "a b"), ("d", "line\r\n"), ("z", "a field of a newer writer")]
        let event = try ClusterEvent.decode(entryID: Array("9-0".utf8), fields: fields.map { (Array($0.utf8), Array($1.utf8)) }, epoch: "ep")
        #expect(event == ClusterEvent(g: 9, previous: 4, epoch: "ep", time: 1700, id: "x1",
                                      content: .event(ServerSentEvent(id: "x1", event: "note", data: "line\r\n", retry: 10)), channels: ["a", "b"]))
    }

    /// An entry of the fields of an empty event, with `change` made to them.
    struct MalformedEntry: Sendable, CustomTestStringConvertible {
        var id = "9-0"
        var fields: [(String, String)] = [("p", "0"), ("t", "1"), ("i", ""), ("k", "e"), ("d", "")]
        var problem: String
        var testDescription: String { problem }

        init(id: String = "9-0", without field: String? = nil, setting change: (String, String)? = nil, problem: String) {
            self.id = id
            if let field { fields.removeAll { $0.0 == field } }
            if let change { fields = fields.map { $0.0 == change.0 ? change : $0 } }
            self.problem = problem
        }
    }

    @Test(arguments: [
        MalformedEntry(id: "9", problem: "the entry id is not <g>-<n>"),
        MalformedEntry(id: "x-0", problem: "the entry id is not <g>-<n>"),
        MalformedEntry(without: "p", problem: "field p missing"),
        MalformedEntry(without: "d", problem: "field d missing"),
        MalformedEntry(setting: ("p", "-1"), problem: "field p is not a decimal"),
        MalformedEntry(setting: ("t", "soon"), problem: "field t is not a decimal"),
        MalformedEntry(setting: ("k", "E"), problem: "k is \"E\", expected e or r"),
    ])
    func aMalformedEntryIsAnErrorNamingIt(entry: MalformedEntry) {
        let fields = entry.fields.map { (Array($0.utf8), Array($1.utf8)) }
        #expect(throws: ClusterError(reason: "stream entry \(entry.id.debugDescription): \(entry.problem)")) {
            try ClusterEvent.decode(entryID: Array(entry.id.utf8), fields: fields, epoch: "e")
        }
    }
}
