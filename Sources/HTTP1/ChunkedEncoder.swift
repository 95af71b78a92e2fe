/// The framing bytes of the chunked transfer coding (RFC 9112 §7.1), written around data that is
/// moved, never copied, between connections.
public enum ChunkedEncoder {
    /// "<hex size>\r\n" for a chunk of `size` (> 0) bytes.
    public static func header(size: Int) -> [UInt8] {
        precondition(size > 0, "a chunk of size 0 is the last chunk")
        var digits = 0
        var rest = size
        while rest > 0 { digits += 1; rest >>= 4 }
        return [UInt8](unsafeUninitializedCapacity: digits + 2) { buffer, initialized in
            var value = size
            for position in stride(from: digits - 1, through: 0, by: -1) {
                buffer[position] = hexDigits[value & 0xF]
                value >>= 4
            }
            buffer[digits] = HTTPByte.cr
            buffer[digits + 1] = HTTPByte.lf
            initialized = digits + 2
        }
    }

    /// `data` as one chunk: its size line, the data, CRLF (nothing for no data).
    public static func framed(_ data: [UInt8]) -> [UInt8] {
        data.isEmpty ? [] : header(size: data.count) + data + dataTerminator
    }

    /// "\r\n" after a chunk's data.
    public static let dataTerminator: [UInt8] = [HTTPByte.cr, HTTPByte.lf]

    /// "0\r\n\r\n": the last chunk with no trailers.
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
