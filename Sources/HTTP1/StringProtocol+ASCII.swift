// ASCII helpers for names and tokens, shared by the head types and the parser.

@inline(__always)
func isASCII(_ string: String) -> Bool {
    var string = string
    return string.withUTF8 { bytes in
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }
}

/// `name.lowercased()`, without building a String when `name` is ASCII with no upper case letter
/// (every name Herald looks up), since lower-casing leaves those unchanged.
@inline(__always)
func lowercasedName(_ name: String) -> String {
    var copy = name
    let unchanged = copy.withUTF8 { bytes in
        for byte in bytes where byte >= 0x80 || byte &- 0x41 < 26 { return false }
        return true
    }
    return unchanged ? name : name.lowercased()
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    public func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    /// True for a non-empty token (RFC 9110 §5.6.2): what a method or a field name is.
    public var isHTTPToken: Bool { !isEmpty && utf8.allSatisfy(HTTPByte.isToken) }
}
