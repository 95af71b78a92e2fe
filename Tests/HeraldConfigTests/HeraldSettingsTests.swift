import Foundation
import Testing
@testable import HeraldConfig

@Suite struct HeraldSettingsTests {
    /// The proxy.conf shipped at the repository root, found from this file's path.
    static let shippedConfigPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("proxy.conf").path

    @Test func defaultsAreTheDocumentedValues() {
        let settings = HeraldSettings()
        #expect(settings.server.listen.description == "0.0.0.0:8080")
        #expect(settings.server.threads == 0)
        #expect(settings.server.headerTimeout == .seconds(10))
        #expect(settings.server.idleTimeout == .seconds(60))
        #expect(settings.server.maxRequestLineBytes == 8192)
        #expect(settings.server.maxHeaderBytes == 65_536)
        #expect(settings.server.maxBodyBytes == 1_073_741_824)
        #expect(settings.server.maxConnections == 16_384)
        #expect(settings.server.shutdownGrace == .seconds(10))
        #expect(settings.upstream.url.description == "http://127.0.0.1:3000")
        #expect(settings.upstream.connectTimeout == .seconds(5))
        #expect(settings.upstream.timeout == .seconds(60))
        #expect(settings.upstream.maxIdleConnections == 64)
        #expect(settings.upstream.idleTimeout == .seconds(60))
        #expect(settings.events.path == "/events")
        #expect(settings.events.heartbeat == .seconds(15))
        #expect(settings.events.retry == .seconds(3))
        #expect(settings.events.retryMilliseconds == 3000)
        #expect(settings.events.historySize == 1000)
        #expect(settings.events.historyTTL == .seconds(3600))
        #expect(settings.events.maxBufferedBytes == 1_048_576)
        #expect(settings.events.paddingBytes == 0)
        #expect(settings.events.resetEvent == "herald-reset")
        #expect(settings.events.allowOrigins == OriginList())
        #expect(settings.events.clientScript == true)
        #expect(settings.events.authorize == .none)
        #expect(settings.events.authorizePath == "")
        #expect(settings.events.publicChannels == ChannelPatternList())
        #expect(settings.events.reauthorizeEvery == .zero)
        #expect(settings.events.grip == false)
        #expect(settings.publish.listen.description == "127.0.0.1:8081")
        #expect(settings.publish.token == "")
        #expect(settings.publish.maxBodyBytes == 1_048_576)
        #expect(settings.publish.signingSecrets.isEmpty && settings.publish.signingSecretsFile == SigningSecretsFile())
        #expect(settings.publish.requireSignature == false)
        #expect(settings.publish.signatureTolerance == .seconds(300))
        #expect(settings.limits.maxSubscribers == 100_000)
        #expect(settings.limits.maxSubscribersPerIP == 1000)
        #expect(settings.limits.maxChannelsPerConnection == 32)
        #expect(settings.limits.maxPendingEvents == 50_000)
        #expect(settings.log.level == .info)
        #expect(settings.log.access == .combined)
        #expect(settings.redis == nil)
    }

    @Test func theDefaultsPassTheCrossKeyChecks() {
        #expect(HeraldSettings().crossKeyProblems() == [])
    }

    @Test func theShippedProxyConfEqualsTheDefaults() throws {
        #expect(try ConfigLoader.load(path: Self.shippedConfigPath) == HeraldSettings())
    }

    /// The commented-out `[redis]` example at the end of the shipped proxy.conf, uncommented.
    static func shippedRedisExample() throws -> [String] {
        let lines = try String(contentsOfFile: Self.shippedConfigPath, encoding: .utf8).split(separator: "\n")
        guard let start = lines.firstIndex(of: "# [redis]") else { return [] }
        return lines[start...].prefix { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
    }

    @Test func theShippedProxyConfSpellsOutEveryKnownKey() throws {
        // Loading it already refuses unknown keys; this checks none is missing. [redis] is off by
        // default, so its keys are spelt out in a commented-out example.
        var section = ""
        var shipped: [String] = []
        let lines = try String(contentsOfFile: Self.shippedConfigPath, encoding: .utf8).split(separator: "\n").map(String.init)
        for line in lines + (try Self.shippedRedisExample()) {
            if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" })
            } else if !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") {
                shipped.append("\(section).\(line[..<equals].trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(shipped == HeraldSettings.knownKeys)
    }

    @Test func theShippedRedisExampleGivesTheDefaultsWithEitherURLOrURLs() throws {
        let example = try Self.shippedRedisExample()
        try #require(example.first == "[redis]")
        let withURL = example.filter { !$0.hasPrefix("urls =") }.joined(separator: "\n")
        let local = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6379))
        #expect(try ConfigLoader.parse(withURL, fileName: "proxy.conf").redis == RedisSettings(urls: [local]))
        let withURLs = example.filter { !$0.hasPrefix("url =") }.joined(separator: "\n")
        #expect(try ConfigLoader.parse(withURLs, fileName: "proxy.conf").redis?.urls.count == 2)
    }

    @Test func everyKeyInTheShippedProxyConfHasACommentAboveIt() throws {
        let lines = try String(contentsOfFile: Self.shippedConfigPath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where line.contains("=") && !line.hasPrefix("#") {
            #expect(index > 0 && lines[index - 1].hasPrefix("#"), "no comment above: \(line)")
        }
    }
}
