import TOMLKit

/// How one key's TOML value becomes a setting: the TOML type the key takes and the values it
/// accepts. A refused value throws a `ConfigValueError` saying what was expected and what was got.
struct ValueParser<Value> {
    let parse: (any TOMLValueConvertible) throws(ConfigValueError) -> Value
}

extension ValueParser {
    /// A string-valued key; `expected` is what a value of another TOML type is told.
    static func string(expected: String, _ convert: @escaping (String) throws(ConfigValueError) -> Value) -> Self {
        Self { value throws(ConfigValueError) in
            guard let text = value.string else {
                throw ConfigValueError(expected: expected, got: ConfigValueError.describing(value))
            }
            return try convert(text)
        }
    }
}

extension ValueParser where Value == String {
    /// A bearer token: visible ASCII without spaces, as an `Authorization` header can carry it.
    /// The message never repeats the token, which is a secret.
    static var token: Self {
        .string(expected: "a string") { text throws(ConfigValueError) in
            try checkToken(text)
            return text
        }
    }

    /// Refuses a token an `Authorization` header cannot carry; `whereFrom` follows the position
    /// (` of "path"` for a file).
    static func checkToken(_ text: String, whereFrom: String = "") throws(ConfigValueError) {
        let bad = text.unicodeScalars.enumerated().first { !(0x21...0x7E).contains($0.element.value) }
        if let (index, scalar) = bad {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let what = scalar == " " ? "a space" : "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            throw ConfigValueError(expected: "visible ASCII characters without spaces",
                                   got: "\(what) at character \(index + 1)\(whereFrom)")
        }
    }
}

extension ValueParser where Value == Int {
    /// An integer within `range`.
    static func integer(in range: ClosedRange<Int>) -> Self {
        Self { value throws(ConfigValueError) in
            let expected = "an integer from \(range.lowerBound) to \(range.upperBound)"
            guard let number = value.int else { throw ConfigValueError(expected: expected, got: ConfigValueError.describing(value)) }
            guard range.contains(number) else { throw ConfigValueError(expected: expected, got: "\(number)") }
            return number
        }
    }

    /// A size in bytes within `range` (see `ByteCount`).
    static func byteCount(in range: ClosedRange<Int>) -> Self {
        let parser = ValueParser<UInt64>.byteCount(in: UInt64(range.lowerBound)...UInt64(range.upperBound))
        return Self { value throws(ConfigValueError) in Int(try parser.parse(value)) }
    }
}

extension ValueParser where Value == UInt64 {
    /// A size in bytes within `range`: a non-negative integer, or a string such as `"64KiB"`.
    static func byteCount(in range: ClosedRange<UInt64>) -> Self {
        Self { value throws(ConfigValueError) in
            let bytes: UInt64
            let got: String
            if let number = value.int {
                guard number >= 0 else { throw ConfigValueError(expected: ByteCount.expectedForm, got: "\(number)") }
                (bytes, got) = (UInt64(number), "\(number)")
            } else if let text = value.string {
                (bytes, got) = (try ByteCount.parse(text), ConfigValueError.quoted(text))
            } else {
                throw ConfigValueError(expected: ByteCount.expectedForm, got: ConfigValueError.describing(value))
            }
            guard range.contains(bytes) else {
                let (low, high) = (ByteCount.phrase(for: range.lowerBound), ByteCount.phrase(for: range.upperBound))
                throw ConfigValueError(expected: "a size from \(low) to \(high)", got: got)
            }
            return bytes
        }
    }
}

extension ValueParser where Value == Duration {
    /// A duration string within `range`, such as `"15s"`.
    static func duration(in range: ClosedRange<Duration>) -> Self {
        .string(expected: Duration.expectedForm) { text throws(ConfigValueError) in
            let duration = try Duration(parsing: text)
            guard range.contains(duration) else {
                throw ConfigValueError(
                    expected: "a duration from \(range.lowerBound.configText) to \(range.upperBound.configText)",
                    got: ConfigValueError.quoted(text))
            }
            return duration
        }
    }
}

extension ValueParser where Value == ListenAddress {
    /// `"host:port"`.
    static var listenAddress: Self {
        .string(expected: "a string \(ListenAddress.expectedForm)") { text throws(ConfigValueError) in
            try ListenAddress(parsing: text)
        }
    }
}

extension ValueParser where Value == UpstreamURL {
    /// `"http://host:port"`.
    static var upstreamURL: Self {
        .string(expected: "a string \(UpstreamURL.expectedForm)") { text throws(ConfigValueError) in
            try UpstreamURL(parsing: text)
        }
    }
}

extension ValueParser where Value: CaseIterable & RawRepresentable, Value.RawValue == String {
    /// One of the enumeration's raw values, e.g. `"info"`.
    static var oneOf: Self {
        let expected = "one of " + Value.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        return .string(expected: expected) { text throws(ConfigValueError) in
            guard let value = Value(rawValue: text) else {
                throw ConfigValueError(expected: expected, got: ConfigValueError.quoted(text))
            }
            return value
        }
    }
}

extension ConfigValueError {
    /// A TOML value as shown after "got" when its type is wrong: `integer 8080`, `"abc"`, `an array`.
    static func describing(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: ConfigValueError.quoted(value.string ?? "")
        case .int: "integer \(value.int ?? 0)"
        case .double: "floating-point number \(value.double ?? 0)"
        case .bool: "boolean \(value.bool ?? false)"
        case .array: "an array"
        case .table: "a table"
        case .date, .time, .dateTime: "a \(value.type)"
        }
    }
}

extension ValueParser where Value == Bool {
    /// `true` or `false`.
    static var boolean: Self {
        Self { value throws(ConfigValueError) in
            guard let flag = value.bool else { throw ConfigValueError(expected: "true or false", got: ConfigValueError.describing(value)) }
            return flag
        }
    }
}

extension ValueParser where Value == OriginList {
    /// An array of origins (`["https://app.example.com"]`), or `["*"]`; a bad entry is named by
    /// its position.
    static var originList: Self {
        Self { value throws(ConfigValueError) in
            guard let array = value.array else {
                throw ConfigValueError(expected: "an array of origins such as [\"https://app.example.com\"]",
                                       got: ConfigValueError.describing(value))
            }
            var list = OriginList()
            for (index, element) in array.enumerated() {
                do throws(ConfigValueError) {
                    guard let text = element.string else {
                        throw ConfigValueError(expected: OriginList.expectedForm, got: ConfigValueError.describing(element))
                    }
                    if text == "*" {
                        list.allowsAny = true
                    } else {
                        list.origins.insert(try OriginList.serialize(text))
                    }
                } catch {
                    throw ConfigValueError(expected: "\(error.expected) at entry \(index + 1)", got: error.got)
                }
            }
            return list
        }
    }
}

extension ValueParser where Value == TrustedProxies {
    /// An array of addresses and CIDR ranges (`["10.0.0.0/8", "::1"]`); a bad entry is named by its position.
    static var trustedProxies: Self {
        Self { value throws(ConfigValueError) in
            guard let array = value.array else {
                throw ConfigValueError(expected: "an array of addresses or CIDR ranges such as [\"10.0.0.0/8\"]",
                                       got: ConfigValueError.describing(value))
            }
            var entries: [String] = []
            for (index, element) in array.enumerated() {
                guard let text = element.string else {
                    throw ConfigValueError(expected: "\(TrustedProxies.expectedForm) at entry \(index + 1)",
                                           got: ConfigValueError.describing(element))
                }
                entries.append(text)
            }
            return try TrustedProxies(parsing: entries)
        }
    }
}
