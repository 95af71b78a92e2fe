// libFuzzer target for the config reader: each input is proxy.conf text, read by
// `ConfigLoader.parse` (TOMLKit's toml++ parse, then every key, then the cross-key rules), compiled
// into one module with Sources/HeraldConfig by Fuzz/build.sh. Beyond not crashing, it checks:
// - a refusal is a non-empty list of one-line problems, each starting `proxy.conf:` and saying
//   what was expected, which name is unknown, or where (line and column within the text) the TOML
//   broke;
// - settings that come back have no cross-key problem and lie within the ranges the reader gives;
// - settings printed by `configText()` (`herald --check --print`) read back as the same settings,
//   each secret as `***`.
// The reader opens the files `token_file`, `signing_secrets_file` and `password_file` name; so
// that inputs cannot make it read /dev/zero or a terminal, only paths in `fuzzFiles` are run.

import Foundation
import Publishing
import TOMLKit

/// Files the inputs may name; `fuzzFileContents` fills it before the first input.
let fuzzFiles = "/tmp/herald-config-fuzz/"
/// A token, a token an `Authorization` header cannot carry, secrets files good and bad, passwords
/// on one line and on two, an empty file and one that is not UTF-8.
let fuzzFileContents: [String: [UInt8]] = [
    "token": Array("fuzz-token\n".utf8),
    "token-space": Array("fuzz token\n".utf8),
    "secrets": Array("# webhook senders\nwhsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5\n\ngithub-secret\n".utf8),
    "secrets-bad": Array("whsec_!!!\n".utf8),
    "password": Array("redis-secret\n".utf8),
    "password-lines": Array("one\ntwo\n".utf8),
    "empty": [],
    "latin1": [0x70, 0xE4, 0x73, 0x73, 0x0A],
]

let fuzzFilesWritten: Bool = {
    try? FileManager.default.createDirectory(atPath: fuzzFiles, withIntermediateDirectories: true)
    for (name, bytes) in fuzzFileContents {
        _ = FileManager.default.createFile(atPath: fuzzFiles + name, contents: Data(bytes))
    }
    return true
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzFilesWritten
    // `ConfigLoader.load` refuses a file that is not UTF-8 before parsing.
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self),
          namesOnlyFuzzFiles(text) else { return 0 }
    do {
        checkSettings(try ConfigLoader.parse(text, fileName: "proxy.conf"))
    } catch {
        checkProblems(error.problems, in: text)
    }
    return 0
}

/// False when a key the reader opens a file for names a path outside `fuzzFiles`.
func namesOnlyFuzzFiles(_ text: String) -> Bool {
    // Those keys spell `file` in the text, unless a quoted key spells a letter as an escape.
    guard text.contains("file") || text.contains("\\u") || text.contains("\\U") else { return true }
    // Refused before the keys are read; toml++ would abort on some malformed text.
    if TOMLNULScan.firstNUL(in: text) != nil || TOMLAbortScan.firstAbort(in: text) != nil { return true }
    guard let root = try? TOMLTable(string: text) else { return true }
    let paths = [("publish", "token_file"), ("publish", "signing_secrets_file"), ("redis", "password_file")]
    return paths.allSatisfy { section, key in
        guard let path = root[section]?.table?[key]?.string, !path.isEmpty else { return true }
        let name = path.dropFirst(fuzzFiles.count)
        return path.hasPrefix(fuzzFiles) && !name.contains("/") && name != "." && name != ".."
    }
}

func checkProblems(_ problems: [String], in text: String) {
    check(!problems.isEmpty, "a refusal names at least one problem")
    // Lines end at LF, as toml++ and the scans count them (on bytes: a Character "\r\n" is not "\n").
    let lineCount = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
    for problem in problems {
        check(!problem.contains(where: \.isNewline), "a problem is one line: \(String(reflecting: problem))")
        check(problem.hasPrefix("proxy.conf:"), "a problem starts with the file name: \(String(reflecting: problem))")
        let says = [": expected ", ": unknown ", ": invalid TOML: "].contains { problem.contains($0) }
        check(says, "a problem says what was expected or unknown, or that the TOML is invalid: \(String(reflecting: problem))")
        // `proxy.conf:LINE:COLUMN: invalid TOML: …` points into the text.
        let place = problem.dropFirst("proxy.conf:".count).prefix { $0 != " " }.split(separator: ":")
        if place.count == 2, let line = Int(place[0]), let column = Int(place[1]) {
            check(line >= 1 && line <= lineCount && column >= 1, "a syntax error's place lies in the text: \(problem)")
        }
    }
}

func checkSettings(_ settings: HeraldSettings) {
    check(settings.crossKeyProblems().isEmpty, "accepted settings break no cross-key rule")
    checkRanges(settings)
    // What `--check --print` shows reads back as the same settings, each secret as `***`.
    let printed = settings.configText()
    var expected = settings
    if settings.publish.tokenFile.isEmpty && !settings.publish.token.isEmpty { expected.publish.token = "***" }
    expected.publish.signingSecrets = settings.publish.signingSecrets.map { _ in try! SigningSecret(parsing: "***") }
    if var redis = expected.redis {
        redis.urls = redis.urls.map { url in
            var url = url
            if url.password != nil { url.password = "***" }
            return url
        }
        if redis.passwordFile.isEmpty && redis.password != nil { redis.password = "***" }
        expected.redis = redis
    }
    do {
        let reread = try ConfigLoader.parse(printed, fileName: "printed.conf")
        check(reread == expected, "printed settings read back as themselves:\n\(printed)")
    } catch {
        check(false, "printed settings read back without problems: \(error)\n\(printed)")
    }
}

/// The ranges `HeraldSettings(reading:)` gives each key, and the forms of its paths.
func checkRanges(_ settings: HeraldSettings) {
    let (server, events, limits) = (settings.server, settings.events, settings.limits)
    check((0...256).contains(server.threads), "server.threads")
    check(HeraldSettings.timeoutRange.contains(server.headerTimeout), "server.header_timeout")
    check(HeraldSettings.timeoutRange.contains(server.idleTimeout), "server.idle_timeout")
    check((64...(1 << 20)).contains(server.maxRequestLineBytes), "server.max_request_line_bytes")
    check((1024...(16 << 20)).contains(server.maxHeaderBytes), "server.max_header_bytes")
    check(server.maxRequestLineBytes <= server.maxHeaderBytes, "a request line fits in a head")
    check(server.maxBodyBytes <= UInt64(Int64.max), "server.max_body_bytes")
    check((1...1_000_000).contains(server.maxConnections), "server.max_connections")
    check(server.healthPath.isEmpty || server.healthPath.hasPrefix("/"), "server.health_path")
    check(events.path.hasPrefix("/") && events.path != "/" && !events.path.hasSuffix("/"), "events.path")
    check((Duration.seconds(1)...HeraldSettings.hour).contains(events.heartbeat), "events.heartbeat")
    check((Duration.zero...HeraldSettings.hour).contains(events.retry), "events.retry")
    check((0...1_000_000).contains(events.historySize), "events.history_size")
    check(((4 << 10)...(1 << 30)).contains(events.maxBufferedBytes), "events.max_buffered_bytes")
    check((0...(64 << 10)).contains(events.paddingBytes), "events.padding_bytes")
    check(events.authorizePath.isEmpty || events.authorizePath.hasPrefix("/"), "events.authorize_path")
    check(settings.publish.token.utf8.allSatisfy { (0x21...0x7E).contains($0) }, "publish.token is visible ASCII")
    check(((1 << 10)...(64 << 20)).contains(settings.publish.maxBodyBytes), "publish.max_body_bytes")
    check((1...10_000_000).contains(limits.maxSubscribers), "limits.max_subscribers")
    check((1...1000).contains(limits.maxChannelsPerConnection), "limits.max_channels_per_connection")
    check((1...10_000_000).contains(limits.maxPendingEvents), "limits.max_pending_events")
    if let redis = settings.redis {
        check((1...RedisSettings.maxShards).contains(redis.urls.count), "redis: 1 to 64 servers")
        check(redis.reconnectMin <= redis.reconnectMax, "redis.reconnect_min <= reconnect_max")
        check((1...RedisSettings.maxKeyPrefixBytes).contains(redis.keyPrefix.utf8.count), "redis.key_prefix")
    }
}

func check(_ condition: Bool, _ property: @autoclosure () -> String) {
    if !condition { fatalError("property violated: \(property())") }
}
