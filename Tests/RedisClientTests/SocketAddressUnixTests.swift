// SocketAddress.unix, which RedisClient's Unix endpoints connect through.

import LibeventIO
import Testing

struct SocketAddressUnixTests {
    @Test func unixAddressPrintsItsPath() throws {
        let address = try SocketAddress.unix(path: "/run/redis/redis.sock")
        #expect(address.description == "unix:/run/redis/redis.sock")
        #expect(address.unixPath == "/run/redis/redis.sock")
        #expect(address.host == "/run/redis/redis.sock")
        #expect(address.port == 0)
        #expect(try SocketAddress.resolve(host: "127.0.0.1", port: 6379).unixPath == nil)
    }

    @Test func pathsTheAddressCannotHoldThrow() throws {
        let longest = "/" + String(repeating: "p", count: SocketAddress.maxUnixPathBytes - 1)
        #expect(SocketAddress.maxUnixPathBytes == 107)
        #expect(try SocketAddress.unix(path: longest).unixPath == longest)
        #expect(throws: LibeventError.self) { try SocketAddress.unix(path: longest + "p") }
        #expect(throws: LibeventError.self) { try SocketAddress.unix(path: "") }
        #expect(throws: LibeventError.self) { try SocketAddress.unix(path: "/tmp/a\0b") }
    }
}
