// Commands as hiredis formats them: RESP arrays of bulk strings, any bytes.

@testable import RedisClient
import Testing

struct RedisCommandEncoderTests {
    @Test func argumentsBecomeAnArrayOfBulkStrings() {
        let encoded = RedisCommandEncoder.encode([Array("SET".utf8), [0, 13, 10], []])
        #expect(encoded == Array("*3\r\n$3\r\nSET\r\n$3\r\n\0\r\n\r\n$0\r\n\r\n".utf8))
        #expect(RedisCommandEncoder.encode(["PING"]) == Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(RedisCommandEncoder.encode([[]]) == Array("*1\r\n$0\r\n\r\n".utf8))
    }
}
