import EventStream

// The two decoders: a pub/sub message (the format in ClusterEvent.swift's design note) and a stream
// entry as XRANGE returns it. Both run on bytes, once per event an instance receives, and both
// end in `make`, which holds the rules the two formats share. Malformed input throws, naming the
// field; it never traps.

extension ClusterEvent {
    /// The event a pub/sub message on `P c:<c>` announces.
    public static func decode(message: [UInt8]) throws(ClusterError) -> ClusterEvent {
        var header = MessageHeader(message)
        let epoch = try header.field("epoch")
        let g = try header.unsigned("g")
        let previous = try header.unsigned("p")
        guard let time = ASCIIDecimal.signed(try header.field("t")) else { throw header.malformed("t") }
        let kind = try header.field("k")
        let idLength = try header.length("len(i)", optional: false) ?? 0
        let typeLength = try header.length("len(y)", optional: true)
        let retryLength = try header.length("len(r)", optional: true)
        let channelsLength = try header.length("len(c)", optional: true, last: true)

        var body = message[header.position...]
        func take(_ length: Int?, _ name: String) throws(ClusterError) -> ArraySlice<UInt8>? {
            guard let length else { return nil }
            guard length <= body.count else {
                throw ClusterError(reason: "pub/sub message: \(name) says \(length) bytes, only \(body.count) left")
            }
            defer { body = body.dropFirst(length) }
            return body.prefix(length)
        }
        let id = try take(idLength, "len(i)") ?? []
        let type = try take(typeLength, "len(y)")
        let retry = try take(retryLength, "len(r)")
        let channels = try take(channelsLength, "len(c)")
        return try make(source: .message, epoch: String(decoding: epoch, as: UTF8.self), g: g, previous: previous, time: time,
                        kind: kind, id: id, type: type, retry: retry, channels: channels, data: body)
    }

    /// The event a stream entry holds: `entryID` is `<g>-0`, `fields` its field/value pairs as
    /// XRANGE returns them (unknown fields ignored, so a newer writer may add some), `epoch` the
    /// channel's epoch read with it.
    public static func decode(entryID: [UInt8], fields: [([UInt8], [UInt8])], epoch: String) throws(ClusterError) -> ClusterEvent {
        let source = Source.entry(entryID)
        guard let dash = entryID.firstIndex(of: UInt8(ascii: "-")), let g = ASCIIDecimal.unsigned(entryID[..<dash]),
              ASCIIDecimal.unsigned(entryID[(dash + 1)...]) != nil else {
            throw source.error("the entry id is not <g>-<n>")
        }
        var previous, time, kind, id, type, retry, channels, data: ArraySlice<UInt8>?
        for (name, value) in fields where name.count == 1 {
            switch name[0] {
            case UInt8(ascii: "p"): previous = value[...]
            case UInt8(ascii: "t"): time = value[...]
            case UInt8(ascii: "k"): kind = value[...]
            case UInt8(ascii: "i"): id = value[...]
            case UInt8(ascii: "y"): type = value[...]
            case UInt8(ascii: "r"): retry = value[...]
            case UInt8(ascii: "c"): channels = value[...]
            case UInt8(ascii: "d"): data = value[...]
            default: continue
            }
        }
        guard let previous else { throw source.error("field p missing") }
        guard let time else { throw source.error("field t missing") }
        guard let kind else { throw source.error("field k missing") }
        guard let id else { throw source.error("field i missing") }
        guard let data else { throw source.error("field d missing") }
        guard let previousG = ASCIIDecimal.unsigned(previous) else { throw source.error("field p is not a decimal") }
        guard let milliseconds = ASCIIDecimal.signed(time) else { throw source.error("field t is not a decimal") }
        return try make(source: source, epoch: epoch, g: g, previous: previousG, time: milliseconds,
                        kind: kind, id: id, type: type, retry: retry, channels: channels, data: data)
    }

    /// Where bytes being decoded came from, for the error's reason (built only on failure).
    enum Source {
        case message
        case entry([UInt8])

        func error(_ problem: String) -> ClusterError {
            switch self {
            case .message: ClusterError(reason: "pub/sub message: \(problem)")
            case .entry(let id): ClusterError(reason: "stream entry \(String(decoding: id, as: UTF8.self).debugDescription): \(problem)")
            }
        }
    }

    /// The rules both formats share: the kind, UTF-8 text, retry digits, space-separated channels.
    private static func make(source: Source, epoch: String, g: UInt64, previous: UInt64, time: Int64, kind: ArraySlice<UInt8>,
                             id: ArraySlice<UInt8>, type: ArraySlice<UInt8>?, retry: ArraySlice<UInt8>?, channels: ArraySlice<UInt8>?,
                             data: ArraySlice<UInt8>) throws(ClusterError) -> ClusterEvent {
        let idText = try text(id, "i", source)
        let content: Content
        switch kind.count == 1 ? kind.first : nil {
        case UInt8(ascii: "e"):
            var milliseconds: Int?
            if let retry {
                guard let value = ASCIIDecimal.signed(retry).flatMap({ Int(exactly: $0) }) else { throw source.error("r is not a decimal") }
                milliseconds = value
            }
            content = .event(ServerSentEvent(id: idText, event: try type.map { (type) throws(ClusterError) in try text(type, "y", source) },
                                             data: try text(data, "d", source), retry: milliseconds))
        case UInt8(ascii: "r"):
            guard type == nil, retry == nil else { throw source.error("raw content (k = r) with a type or a retry") }
            content = .raw(Array(data))
        default:
            throw source.error("k is \(String(decoding: kind.prefix(16), as: UTF8.self).debugDescription), expected e or r")
        }
        var names: [String] = []
        if let channels {
            for name in channels.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false) {
                guard !name.isEmpty else { throw source.error("c holds an empty channel name") }
                names.append(try text(name, "c", source))
            }
        }
        return ClusterEvent(g: g, previous: previous, epoch: epoch, time: time, id: idText, content: content, channels: names)
    }

    /// `bytes` as text; ill-formed UTF-8 is refused, as nothing Herald publishes holds it.
    private static func text(_ bytes: ArraySlice<UInt8>, _ field: String, _ source: Source) throws(ClusterError) -> String {
        if #available(macOS 15, *) {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw source.error("\(field) is not UTF-8") }
            return text
        }
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces each ill-formed sequence with U+FFFD, so the bytes differ exactly then.
        guard text.utf8.elementsEqual(bytes) else { throw source.error("\(field) is not UTF-8") }
        return text
    }
}

/// The header line of a pub/sub message, read field by field.
private struct MessageHeader {
    /// epoch, g, p, t, k and the lengths of i, y, r and c.
    static let fieldCount = 9
    let bytes: [UInt8]
    /// Where the next field starts; after the last, where the body starts.
    private(set) var position: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// The next field: the bytes up to a space (or, for the last, a line feed), which it skips.
    mutating func field(_ name: String, last: Bool = false) throws(ClusterError) -> ArraySlice<UInt8> {
        let end = last ? UInt8(ascii: "\n") : UInt8(ascii: " ")
        guard let stop = bytes[position...].firstIndex(where: { $0 == end || $0 == UInt8(ascii: "\n") }) else {
            throw ClusterError(reason: "pub/sub message: no line feed ends the header (reading \(name))")
        }
        guard bytes[stop] == end else {
            throw ClusterError(reason: "pub/sub message: the header line ends at \(name), expected \(Self.fieldCount) fields")
        }
        defer { position = stop + 1 }
        return bytes[position..<stop]
    }

    mutating func unsigned(_ name: String) throws(ClusterError) -> UInt64 {
        guard let value = ASCIIDecimal.unsigned(try field(name)) else { throw malformed(name) }
        return value
    }

    /// A byte count, or nil for -1 (absent) when `optional`.
    mutating func length(_ name: String, optional: Bool, last: Bool = false) throws(ClusterError) -> Int? {
        let digits = try field(name, last: last)
        if optional && digits.elementsEqual("-1".utf8) { return nil }
        guard let value = ASCIIDecimal.unsigned(digits), let length = Int(exactly: value) else { throw malformed(name) }
        return length
    }

    func malformed(_ name: String) -> ClusterError {
        ClusterError(reason: "pub/sub message: \(name) is not a decimal")
    }
}
