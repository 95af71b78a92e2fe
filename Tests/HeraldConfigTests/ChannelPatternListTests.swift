import Testing
@testable import HeraldConfig

@Suite struct ChannelPatternListTests {
    @Test func anExactNameMatchesThatChannelOnly() throws {
        let list = try ChannelPatternList(["news"])
        #expect(list.matches("news"))
        #expect(!list.matches("news:sport"))
        #expect(!list.matches("new"))
        #expect(!list.matches("News"))
    }

    @Test func aTrailingStarMatchesEveryChannelWithThePrefix() throws {
        let list = try ChannelPatternList(["public:*"])
        #expect(list.matches("public:prices"))
        #expect(list.matches("public:"))
        #expect(list.matches("public:a/b"))
        #expect(!list.matches("public"))
        #expect(!list.matches("private:public:x"))
    }

    @Test func aStarAloneMatchesEveryChannel() throws {
        let list = try ChannelPatternList(["*"])
        #expect(list.matches("anything"))
        #expect(list.matches("user:42"))
    }

    @Test func anEmptyListMatchesNothing() {
        #expect(!ChannelPatternList().matches("news"))
        #expect(ChannelPatternList().isEmpty)
    }

    @Test func thePatternsAreReadFromTheFileInOrder() throws {
        let settings = try ConfigLoader.parse("""
            [events]
            authorize = "upstream"
            public_channels = ["news", "public:*", "news"]
            """, fileName: "proxy.conf")
        #expect(settings.events.publicChannels.patterns == ["news", "public:*", "news"])
        #expect(settings.events.publicChannels.matches("public:x"))
    }

    @Test(arguments: ["a*b", "**", "*x", "news feed", "caf\u{E9}", String(repeating: "a", count: 201)])
    func aPatternThatCouldNeverMatchAsWrittenIsRefused(pattern: String) {
        #expect(throws: ConfigValueError.self) { try ChannelPatternList([pattern]) }
    }

    @Test func aPatternOfTwoHundredBytesIsAcceptedWithOrWithoutAStar() throws {
        let name = String(repeating: "a", count: 200)
        #expect(try ChannelPatternList([name]).matches(name))
        #expect(try ChannelPatternList([name + "*"]).matches(name))
    }
}
