internal import CHiredis

/// hiredis's RESP reader: bytes from the socket in, whole replies out as Swift values.
///
/// Each reply hiredis parses is a tree of C `redisReply` nodes; it is converted to a `RedisReply`
/// once and freed at once (`freeReplyObject`), so no C memory outlives `next()`.
final class RedisReplyReader {
    /// Created in init, freed in deinit: valid for the reader's whole life.
    private let reader: UnsafeMutablePointer<redisReader>
    /// A reply whose bytes pass this many before it is whole fails `next()`.
    let maxReplyBytes: Int
    /// Bytes fed in all.
    private var fedCount = 0
    /// Bytes fed in all when the last reply `next()` returned was whole: where the next one began.
    private var replyStart = 0

    init(maxReplyBytes: Int) {
        // hiredis allocates with malloc, and aborts itself when that fails (HIREDIS_OOM_HANDLER).
        guard let reader = redisReaderCreate() else { fatalError("redisReaderCreate could not allocate") }
        self.reader = reader
        self.maxReplyBytes = maxReplyBytes
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Bytes fed and not yet part of a reply that `next()` returned.
    var bufferedCount: Int {
        reader.pointee.len - reader.pointee.pos
    }

    /// Appends `bytes` (copied) to what the next replies are parsed from.
    func feed(_ bytes: UnsafeRawBufferPointer) throws(RedisError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // SAFETY: hiredis copies `count` bytes from `base`, which the caller keeps valid meanwhile.
        if redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count) != REDIS_OK {
            throw .protocolError(errorText)
        }
        fedCount += bytes.count
    }

    /// The next whole reply: a value, or an error reply as `.failure(.replied(message))`; nil
    /// until more bytes are fed. Throws when the bytes are not RESP, nest deeper than hiredis
    /// reads (arrays in arrays 7 levels deep in 0.14), or an unfinished reply passes
    /// `maxReplyBytes` (counted on the wire: hiredis consumes an array's elements as they come,
    /// so its buffer alone would bound one element, not the reply).
    func next() throws(RedisError) -> Result<RedisReply, RedisError>? {
        var object: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &object) == REDIS_OK else { throw .protocolError(errorText) }
        guard let object else {
            if fedCount - replyStart > maxReplyBytes {
                throw .protocolError("a reply larger than \(maxReplyBytes) bytes")
            }
            return nil
        }
        replyStart = fedCount - bufferedCount
        // SAFETY: the default reader builds redisReply trees; this one is ours until freed here,
        // and convert copies everything it keeps.
        defer { freeReplyObject(object) }
        return try Self.convert(UnsafePointer(object.assumingMemoryBound(to: redisReply.self)))
    }

    /// Copies one node (and its elements) into Swift values. An error nested in an array (EXEC's
    /// results, a script's table) fails the whole reply: `RedisReply` has no error case.
    private static func convert(_ node: UnsafePointer<redisReply>) throws(RedisError) -> Result<RedisReply, RedisError> {
        let reply = node.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .success(.bulk(Array(UnsafeRawBufferPointer(start: reply.str, count: reply.len))))
        case REDIS_REPLY_STATUS:
            return .success(.status(text(reply)))
        case REDIS_REPLY_INTEGER:
            return .success(.integer(Int64(reply.integer)))
        case REDIS_REPLY_NIL:
            return .success(.null)
        case REDIS_REPLY_ERROR:
            return .failure(.replied(text(reply)))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                guard let element = reply.element[index] else { throw .protocolError("an array element missing") }
                switch try convert(element) {
                case .success(let value): elements.append(value)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.array(elements))
        default:
            throw .protocolError("reply type \(reply.type)")
        }
    }

    private static func text(_ reply: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: reply.str, count: reply.len), as: UTF8.self)
    }

    /// hiredis's description of its error (a C string in a 128-byte array).
    private var errorText: String {
        withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
