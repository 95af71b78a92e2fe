import Foundation
import Testing
@testable import HeraldConfig

@Suite struct RedisSettingsTests {
    private static let local = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6379))

    private func passwordFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-redis-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func withoutTheSectionThereIsNoRedis() throws {
        #expect(HeraldSettings().redis == nil)
        #expect(try ConfigLoader.parse("[server]\nthreads = 2\n", fileName: "proxy.conf").redis == nil)
    }

    @Test func aURLAloneGivesTheDefaults() throws {
        let redis = try #require(try ConfigLoader.parse("[redis]\nurl = \"redis://127.0.0.1\"\n", fileName: "proxy.conf").redis)
        #expect(redis == RedisSettings(urls: [Self.local]))
        #expect(redis.username == nil && redis.password == nil && redis.passwordFile == "")
        #expect(redis.connectTimeout == .seconds(2))
        #expect(redis.commandTimeout == .seconds(10))
        #expect(redis.keyPrefix == "herald:")
        #expect(redis.reconnectMin == .milliseconds(100))
        #expect(redis.reconnectMax == .seconds(5))
        #expect(redis.shards == [Self.local])
    }

    @Test func everyKeySetsItsField() throws {
        let toml = """
            [redis]
            urls = ["redis://10.0.0.1:6379/0", "redis://alice:own@10.0.0.2:6380/2", "unix:/run/redis.sock?db=1"]
            username = "herald"
            password = "s3cret"
            connect_timeout = "500ms"
            command_timeout = "3s"
            key_prefix = "app-1:herald:"
            reconnect_min = "50ms"
            reconnect_max = "30s"
            """
        var expected = RedisSettings(urls: [
            RedisURL(endpoint: .tcp(host: "10.0.0.1", port: 6379)),
            RedisURL(endpoint: .tcp(host: "10.0.0.2", port: 6380), database: 2, username: "alice", password: "own"),
            RedisURL(endpoint: .unix(path: "/run/redis.sock"), database: 1),
        ])
        expected.username = "herald"
        expected.password = "s3cret"
        expected.connectTimeout = .milliseconds(500)
        expected.commandTimeout = .seconds(3)
        expected.keyPrefix = "app-1:herald:"
        expected.reconnectMin = .milliseconds(50)
        expected.reconnectMax = .seconds(30)
        #expect(try ConfigLoader.parse(toml, fileName: "proxy.conf").redis == expected)
    }

    @Test func theSectionsUserAndPasswordGoToEveryServerWhoseURLHasNone() throws {
        var settings = RedisSettings(urls: [
            RedisURL(endpoint: .tcp(host: "10.0.0.1", port: 6379)),
            RedisURL(endpoint: .tcp(host: "10.0.0.2", port: 6379), username: "alice", password: "own"),
            RedisURL(endpoint: .tcp(host: "10.0.0.3", port: 6379), password: "third"),
        ])
        settings.username = "herald"
        settings.password = "s3cret"
        #expect(settings.shards == [
            RedisURL(endpoint: .tcp(host: "10.0.0.1", port: 6379), username: "herald", password: "s3cret"),
            RedisURL(endpoint: .tcp(host: "10.0.0.2", port: 6379), username: "alice", password: "own"),
            RedisURL(endpoint: .tcp(host: "10.0.0.3", port: 6379), username: "herald", password: "third"),
        ])
    }

    @Test func emptyStringsMeanNone() throws {
        let toml = "[redis]\nurl = \"redis://127.0.0.1\"\nusername = \"\"\npassword = \"\"\npassword_file = \"\"\n"
        #expect(try ConfigLoader.parse(toml, fileName: "proxy.conf").redis == RedisSettings(urls: [Self.local]))
    }

    @Test(arguments: ["s3cret\n", "s3cret\r\n", "s3cret\n\n", "s3cret"])
    func thePasswordFileIsReadWithoutItsTrailingLineBreak(content: String) throws {
        let path = try passwordFile(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let toml = "[redis]\nurl = \"redis://127.0.0.1\"\npassword_file = \"\(path)\"\n"
        let redis = try #require(try ConfigLoader.parse(toml, fileName: "proxy.conf").redis)
        #expect(redis.password == "s3cret")
        #expect(redis.passwordFile == path)
        #expect(redis.shards.first?.password == "s3cret")
    }

    @Test func aPasswordFileThatCannotBeUsedIsNamed() throws {
        let empty = try passwordFile("\n")
        let twoLines = try passwordFile("one\ntwo\n")
        defer { for path in [empty, twoLines] { try? FileManager.default.removeItem(atPath: path) } }
        func problems(_ path: String) -> [String] {
            ConfigLoader.problems(in: "[redis]\nurl = \"redis://127.0.0.1\"\npassword_file = \"\(path)\"\n")
        }
        #expect(problems("/nonexistent/herald-redis-password") == [
            #"proxy.conf: [redis] password_file: expected a readable file holding the password, got "/nonexistent/herald-redis-password" (cannot be read)"#,
        ])
        #expect(problems(empty) == ["proxy.conf: [redis] password_file: expected a file holding the password, got \"\(empty)\" (empty)"])
        #expect(problems(twoLines) == [
            "proxy.conf: [redis] password_file: expected a file holding the password on one line, got \"\(twoLines)\" (several lines)",
        ])
    }

    @Test func aPasswordAndAPasswordFileAreNotBothAllowed() throws {
        let path = try passwordFile("s3cret\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let toml = "[redis]\nurl = \"redis://127.0.0.1\"\npassword = \"other\"\npassword_file = \"\(path)\"\n"
        #expect(ConfigLoader.problems(in: toml) == [
            "proxy.conf: [redis] password_file: expected either password or password_file, not both, got \"\(path)\"",
        ])
    }
}
