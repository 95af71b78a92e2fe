import EventStream
import Foundation
import TOMLKit

// The values of [redis]. URLs and passwords carry secrets: no message here repeats a password,
// and a refused URL is quoted with its user info hidden (`RedisURL.redacted`).

extension ValueParser where Value == RedisURL? {
    /// One Redis URL (see `RedisURL`).
    static var redisURL: Self {
        .string(expected: #"a Redis URL string such as "redis://127.0.0.1:6379/0""#) { text throws(ConfigValueError) in
            try RedisURL(parsing: text)
        }
    }
}

extension ValueParser where Value == [RedisURL]? {
    /// An array of 1 to `maxCount` Redis URLs, one per shard, no two on one server; a bad entry is
    /// named by its position.
    static func redisURLs(maxCount: Int) -> Self {
        Self { value throws(ConfigValueError) in
            guard let array = value.array else {
                throw ConfigValueError(expected: #"an array of Redis URLs such as ["redis://10.0.0.1:6379/0", "redis://10.0.0.2:6379/0"]"#,
                                       got: ConfigValueError.describingRedacted(value))
            }
            guard (1...maxCount).contains(array.count) else {
                throw ConfigValueError(expected: "an array of 1 to \(maxCount) Redis URLs, one per shard",
                                       got: array.isEmpty ? "an empty array" : "\(array.count) entries")
            }
            var urls: [RedisURL] = []
            for (index, element) in array.enumerated() {
                do throws(ConfigValueError) {
                    guard let text = element.string else {
                        throw ConfigValueError(expected: RedisURL.expectedForm, got: ConfigValueError.describing(element))
                    }
                    let url = try RedisURL(parsing: text)
                    if let other = urls.firstIndex(where: { $0.isSameServer(as: url) }) {
                        // A shard is a whole server: its counter orders every publish it holds.
                        throw ConfigValueError(expected: "a server of its own (entry \(other + 1) names the same one)",
                                               got: ConfigValueError.quoted(url.description))
                    }
                    urls.append(url)
                } catch {
                    throw ConfigValueError(expected: "\(error.expected) at entry \(index + 1)", got: error.got)
                }
            }
            return urls
        }
    }
}

extension ValueParser where Value == String? {
    /// A string; "" is none.
    static var optionalString: Self {
        .string(expected: "a string") { text in text.isEmpty ? nil : text }
    }

    /// A password; "" is none. Not even a value of the wrong type is repeated.
    static var password: Self {
        Self { value throws(ConfigValueError) in
            guard let text = value.string else {
                throw ConfigValueError(expected: "a string", got: ConfigValueError.typeName(of: value))
            }
            return text.isEmpty ? nil : text
        }
    }
}

/// `redis.password_file`: where the password was read from, and the password.
struct PasswordFile: Equatable {
    var path: String
    var password: String
}

extension ValueParser where Value == PasswordFile? {
    /// A path to a file holding a password on one line (a trailing line break is dropped); ""
    /// is none. The file is read here, once, when proxy.conf is loaded, so `--check` reports its
    /// problems too.
    static var passwordFile: Self {
        .string(expected: "a path to a file holding the password") { path throws(ConfigValueError) in
            guard !path.isEmpty else { return nil }
            let text = try SecretFile.read(path, holding: "holding the password")
            var password = Substring(text)
            while password.last?.isNewline == true { password = password.dropLast() }
            guard !password.isEmpty else {
                throw ConfigValueError(expected: "a file holding the password", got: ConfigValueError.quoted(path) + " (empty)")
            }
            guard !password.contains(where: \.isNewline) else {
                throw ConfigValueError(expected: "a file holding the password on one line",
                                       got: ConfigValueError.quoted(path) + " (several lines)")
            }
            return PasswordFile(path: path, password: String(password))
        }
    }
}

extension ValueParser where Value == String {
    /// A key prefix: 1 to `maxBytes` bytes of those channel names use, so that keys and pub/sub
    /// channel names built from it need no escaping either.
    static func keyPrefix(maxBytes: Int) -> Self {
        .string(expected: "a string") { text throws(ConfigValueError) in
            let bytes = text.utf8
            guard (1...maxBytes).contains(bytes.count), bytes.allSatisfy(ChannelName.isAllowed) else {
                throw ConfigValueError(expected: "a key prefix of 1 to \(maxBytes) bytes of \(ChannelName.allowedBytes)",
                                       got: ConfigValueError.quoted(text))
            }
            return text
        }
    }
}

extension ConfigValueError {
    /// Like `describing`, but a string is quoted with a URL's user info hidden.
    static func describingRedacted(_ value: any TOMLValueConvertible) -> String {
        value.string.map { quoted(RedisURL.redacted($0)) } ?? describing(value)
    }

    /// A TOML value's type alone, as shown after "got" for a secret of the wrong type: `an integer`.
    static func typeName(of value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date, .time, .dateTime: "a \(value.type)"
        }
    }
}
