import EventStream
import Testing

@Suite struct QueryStringTests {
    @Test func repeatedNamesGiveEveryValueInOrder() {
        #expect(QueryString.values("channel", in: "channel=a&other=x&channel=b&channel=c") == ["a", "b", "c"])
    }

    @Test func anAbsentNameGivesNoValues() {
        #expect(QueryString.values("channel", in: "other=x") == [])
        #expect(QueryString.values("channel", in: "") == [])
    }

    @Test func escapesAreDecodedAndPlusIsASpace() {
        #expect(QueryString.values("channel", in: "channel=team%2Feng&channel=a+b&channel=a%2Bb&channel=%c3%A9")
            == ["team/eng", "a b", "a+b", "é"])
    }

    @Test func namesAreDecodedBeforeComparing() {
        #expect(QueryString.values("channel", in: "chan%6Eel=a&channel%20=b") == ["a"])
        #expect(QueryString.values("a b", in: "a+b=1&a%20b=2") == ["1", "2"])
    }

    @Test func emptyPairsAreSkippedAndANameWithoutEqualsHasAnEmptyValue() {
        #expect(QueryString.values("channel", in: "&&channel&channel=&=x&channel=a=b&") == ["", "", "a=b"])
    }

    @Test func aLeadingQuestionMarkIsIgnored() {
        #expect(QueryString.values("channel", in: "?channel=a") == ["a"])
    }

    @Test func valuesWorkOnAnySubstring() {
        let target = "/events?channel=a&channel=b"
        let query = target[target.index(after: target.firstIndex(of: "?")!)...]
        #expect(QueryString.values("channel", in: query) == ["a", "b"])
    }

    @Test func badEscapesStayVisibleAsBrowsersLeaveThem() {
        #expect(QueryString.values("channel", in: "channel=%zz&channel=100%&channel=%F&channel=%FF&channel=ok")
            == ["%zz", "100%", "%F", "\u{FFFD}", "ok"])
    }

    @Test(arguments: [("", ""), ("abc", "abc"), ("a%2Fb", "a/b"), ("a%2fb", "a/b"), ("a+b", "a+b"), ("%2B", "+"),
                      ("%C3%A9", "é"), ("%e2%82%ac", "€"), ("%F0%9F%91%8D", "👍"), ("%00", "\u{0}"),
                      ("é%20", "é "),
                      ("%25", "%"), ("%0D%0A", "\r\n")])
    func percentDecodeDecodesEscapesOnly(text: String, decoded: String) {
        #expect(QueryString.percentDecode(text[...]) == decoded)
    }

    @Test(arguments: ["%", "%2", "a%", "%zz", "%2G", "%%41", "%FF", "%C3", "%C0%AF", "%ED%A0%80", "%F4%90%80%80",
                      "%80"])
    func percentDecodeRefusesBadEscapesAndBadUTF8(text: String) {
        #expect(QueryString.percentDecode(text[...]) == nil)
    }

    @Test func spellingsAreTheValuesAsWrittenOfTheDecodedName() {
        #expect(QueryString.spellings("channel", in: "channel=user%3A42&chan%6Eel=a+b&other=x&channel=%ZZ&channel")
            == ["user%3A42", "a+b", "%ZZ", ""])
    }

    @Test func aTargetSplitsAtItsFirstQuestionMark() {
        #expect(QueryString.split(target: "/events/a?channel=b?c") == ("/events/a", "channel=b?c"))
        #expect(QueryString.split(target: "/events/é") == ("/events/é", nil))
        #expect(QueryString.split(target: "/x?") == ("/x", ""))
    }
}
