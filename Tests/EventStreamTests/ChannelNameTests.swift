import Testing
@testable import EventStream

@Suite struct ChannelNameTests {
    private func reason(_ spelling: String, plusIsSpace: Bool = false) -> String? {
        do {
            _ = try ChannelName.decode(spelling[...], plusIsSpace: plusIsSpace)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aPlainNameIsItself() throws {
        #expect(try ChannelName.decode("user:42") == "user:42")
        #expect(try ChannelName.decode("A-z_0.9:@/") == "A-z_0.9:@/")
    }

    @Test(arguments: [
        ("user%3A42", "user:42"), ("user%3a42", "user:42"), ("me%40example.com", "me@example.com"),
        ("team%2Feng", "team/eng"), ("team%2feng", "team/eng"), ("%41bc", "Abc"), ("%75%73%65%72", "user"),
    ])
    func escapesOfEitherCaseDecodeToTheCanonicalName(spelling: String, name: String) throws {
        #expect(try ChannelName.decode(spelling[...]) == name)
    }

    @Test func aMalformedEscapeIsRefusedNamingTheSpellingAndTheEscape() {
        #expect(reason("a%ZZ") == #"channel "a%ZZ": malformed percent-escape "%ZZ" (expected % and two hex digits)"#)
        #expect(reason("%") == #"channel "%": malformed percent-escape "%" (expected % and two hex digits)"#)
        #expect(reason("a%4") == #"channel "a%4": malformed percent-escape "%4" (expected % and two hex digits)"#)
        #expect(reason("%G1")?.contains(#"malformed percent-escape "%G1""#) == true)
        #expect(reason("%4G")?.contains(#"malformed percent-escape "%4G""#) == true)
        // a malformed escape is refused even where the rest would decode to a valid name
        #expect(reason("%3A%")?.contains("malformed percent-escape") == true)
    }

    /// Found by Fuzz/PublishFuzz.swift: the escape was quoted raw, so a control byte after the %
    /// (a tab in a Grip-Channel header) went into the reason and the log line as it was.
    @Test func aMalformedEscapeIsQuotedWithItsControlBytesEscaped() {
        #expect(reason("a%\tb") == #"channel "a%\tb": malformed percent-escape "%\tb" (expected % and two hex digits)"#)
        #expect(reason("%*\r{")?.contains(#"malformed percent-escape "%*\r" "#) == true)
    }

    @Test func aNameThatDecodesToAForbiddenByteIsRefusedNamingTheByte() {
        #expect(reason("a%20b") == #"channel "a%20b": byte 0x20 (" ") after percent-decoding is not allowed: channel names use A-Z a-z 0-9 - _ . : @ /"#)
        #expect(reason("a%00")?.contains("byte 0x00 after percent-decoding is not allowed") == true)
        // `%25` is a literal `%`, which no name holds: never decoded twice
        #expect(reason("a%253A")?.contains(#"byte 0x25 ("%") after percent-decoding"#) == true)
        #expect(reason("a b") == #"channel "a b": byte 0x20 (" ") is not allowed: channel names use A-Z a-z 0-9 - _ . : @ /"#)
        #expect(reason("a?b")?.contains(#"byte 0x3F ("?")"#) == true)
    }

    @Test func utf8IsRefusedPlainOrEncoded() {
        #expect(reason("é")?.contains("byte 0xC3 is not allowed") == true)
        #expect(reason("%C3%A9")?.contains("byte 0xC3 after percent-decoding is not allowed") == true)
        #expect(reason("%FF")?.contains("byte 0xFF") == true)
    }

    @Test func theLengthIsCountedAfterDecoding() throws {
        let longest = String(repeating: "%41", count: ChannelName.maxBytes)
        #expect(try ChannelName.decode(longest[...]) == String(repeating: "A", count: ChannelName.maxBytes))
        #expect(reason(longest + "%41")?.contains("201 bytes after percent-decoding, more than 200") == true)
        #expect(reason(String(repeating: "a", count: 201))?.contains("201 bytes, more than 200") == true)
        #expect(reason("") == "empty channel name")
    }

    @Test func aPlusIsASpaceOnlyInAFormEncodedQueryValueAndRefusedEitherWay() {
        #expect(reason("a+b")?.contains(#"byte 0x2B ("+")"#) == true)
        #expect(reason("a+b", plusIsSpace: true)?.contains(#"byte 0x20 (" ")"#) == true)
        #expect(reason("a%2Bb", plusIsSpace: true)?.contains(#"byte 0x2B ("+")"#) == true)
    }

    @Test func aLongRefusedSpellingIsQuotedShortAndEscaped() throws {
        let long = try #require(reason(String(repeating: "x", count: 100) + " y"))
        #expect(long.hasPrefix("channel \"" + String(repeating: "x", count: 64) + "\"…: "))
        #expect(reason("a\nb")?.hasPrefix(#"channel "a\nb": byte 0x0A"#) == true)
    }

    @Test func aNameTakenAsItIsSaysItIsNotPercentDecoded() {
        #expect(!ChannelName.isValid("user%3A42"))
        #expect(ChannelName.problem("user%3A42").contains("not percent-decoded"))
        #expect(!ChannelName.problem("a b").contains("percent"))
    }

    @Test func channelNamesAllowExactlyTheDocumentedBytes() {
        #expect(ChannelName.isValid("A-z_0.9:@/"))
        #expect(!ChannelName.isValid(""))
        #expect(!ChannelName.isValid("a b"))
        #expect(!ChannelName.isValid("é"))
        #expect(!ChannelName.isValid("a?b"))
    }

    @Test func aPrefixMayBeEmptyButNotLongerThanANameOrHoldOtherBytes() {
        #expect(ChannelName.isValidPrefix(""))
        #expect(ChannelName.isValidPrefix("public:"))
        #expect(ChannelName.isValidPrefix(String(repeating: "a", count: ChannelName.maxBytes)))
        #expect(!ChannelName.isValidPrefix(String(repeating: "a", count: ChannelName.maxBytes + 1)))
        #expect(!ChannelName.isValidPrefix("a*"))
        #expect(!ChannelName.isValidPrefix("caf\u{E9}"))
    }
}
