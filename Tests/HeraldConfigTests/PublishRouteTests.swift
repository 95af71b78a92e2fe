import Publishing
import Testing
@testable import HeraldConfig

@Suite struct PublishRouteTests {
    @Test func routesAreReadInOrderWithTheirTemplatesParsed() throws {
        let settings = try ConfigLoader.parse("""
            [publish]
            listen = "127.0.0.1:8081"
            [[publish.routes]]
            path = "/hooks/github"
            channel = "repo-{/repository/full_name}"
            event = "{header:X-GitHub-Event}"
            id = "{header:X-GitHub-Delivery}"
            [[publish.routes]]
            path = "/hooks/deploys"
            channel = "deploys"
            """, fileName: "proxy.conf")
        #expect(settings.publish.routes == [
            PublishRoute(path: "/hooks/github", webhook: WebhookRoute(
                channel: try RouteTemplate(parsing: "repo-{/repository/full_name}", for: .channel),
                event: try RouteTemplate(parsing: "{header:X-GitHub-Event}", for: .event),
                id: try RouteTemplate(parsing: "{header:X-GitHub-Delivery}", for: .id))),
            PublishRoute(path: "/hooks/deploys", webhook: WebhookRoute(channel: try RouteTemplate(parsing: "deploys", for: .channel))),
        ])
    }

    @Test func thereAreNoRoutesByDefault() {
        #expect(HeraldSettings().publish.routes.isEmpty)
    }

    @Test func everyMistakeOfEveryRouteIsReportedTogetherNamingTheRouteByNumber() {
        let problems = ConfigLoader.problems(in: """
            [publish]
            token = "a b"
            [[publish.routes]]
            path = "hooks/github"
            channel = "repo-{/repository/full_name"
            [[publish.routes]]
            path = "/hooks/stripe"
            channel = "payments"
            id = "{/id"
            evnt = "{/type}"
            [[publish.routes]]
            channel = "x y"
            event = 3
            [[publish.routes]]
            path = "/hooks/stripe"
            channel = "again"
            """)
        #expect(problems == [
            #"proxy.conf: [publish] token: expected visible ASCII characters without spaces, got a space at character 2"#,
            #"proxy.conf: [[publish.routes]] #1 path: expected a path such as "/hooks/github" starting with "/", got "hooks/github""#,
            #"proxy.conf: [[publish.routes]] #1 channel: expected a "}" closing the "{" at character 6, got "repo-{/repository/full_name""#,
            #"proxy.conf: [[publish.routes]] #2 id: expected a "}" closing the "{" at character 1, got "{/id""#,
            #"proxy.conf: [[publish.routes]] #2 evnt: unknown key (did you mean event?)"#,
            #"proxy.conf: [[publish.routes]] #3 path: expected a path such as "/hooks/github" (every entry needs one), got none"#,
            #"proxy.conf: [[publish.routes]] #3 channel: expected only A-Z a-z 0-9 - _ . : @ / and {…} parts in a channel template (not " "), got "x y""#,
            #"proxy.conf: [[publish.routes]] #3 event: expected a string, got integer 3"#,
            #"proxy.conf: [[publish.routes]] #4 path: expected a path of its own (route #2 has it), got "/hooks/stripe""#,
        ])
    }

    @Test func aRouteWithoutAChannelIsAProblem() {
        #expect(ConfigLoader.problems(in: "[[publish.routes]]\npath = \"/hooks/a\"\n") == [
            #"proxy.conf: [[publish.routes]] #1 channel: expected a template such as "repo-{/repository/full_name}" (every entry needs one), got none"#,
        ])
    }

    @Test(arguments: ["/publish", "/publish/", "/publish/orders", "/channels/orders", "/healthz", "/metrics"])
    func aRouteCannotHideAPathHeraldServes(path: String) {
        #expect(ConfigLoader.problems(in: "[[publish.routes]]\npath = \"\(path)\"\nchannel = \"c\"\n") == [
            #"proxy.conf: [[publish.routes]] #1 path: expected a path such as "/hooks/github" apart from /publish, /publish/…, "#
                + #"/channels/…, /healthz and /metrics, which Herald serves, got "\#(path)""#,
        ])
    }

    @Test func aRoutesPathHasNoQueryAndNoSpaces() {
        #expect(ConfigLoader.problems(in: "[[publish.routes]]\npath = \"/hooks?from=github\"\nchannel = \"c\"\n") == [
            #"proxy.conf: [[publish.routes]] #1 path: expected a path such as "/hooks/github" with no query or fragment "#
                + #"(it is matched exactly), got "/hooks?from=github""#,
        ])
        #expect(ConfigLoader.problems(in: "[[publish.routes]]\npath = \"/my hooks\"\nchannel = \"c\"\n") == [
            #"proxy.conf: [[publish.routes]] #1 path: expected a path such as "/hooks/github" of visible ASCII characters "#
                + #"without spaces, got "/my hooks""#,
        ])
    }

    @Test func routesThatAreNotAnArrayOfTablesAreAProblem() {
        #expect(ConfigLoader.problems(in: "[publish]\nroutes = \"/hooks\"\n") == [
            #"proxy.conf: [publish] routes: expected an array of tables [[publish.routes]], got "/hooks""#,
        ])
        #expect(ConfigLoader.problems(in: "[publish.routes]\npath = \"/hooks\"\nchannel = \"c\"\n") == [
            "proxy.conf: [publish] routes: expected an array of tables [[publish.routes]], got a table",
        ])
        #expect(ConfigLoader.problems(in: "[publish]\nroutes = [\"/hooks\"]\n") == [
            "proxy.conf: [publish] routes: expected an array of tables [[publish.routes]], got an array",
        ])
    }

    @Test func anEmptyArrayOfRoutesIsNoRoute() throws {
        #expect(try ConfigLoader.parse("[publish]\nroutes = []\n", fileName: "proxy.conf") == HeraldSettings())
    }

    @Test func theRoutesArrayIsAKnownTableArrayNotAKey() {
        var reader = ConfigReader(root: .init(), fileName: "")
        _ = HeraldSettings(reading: &reader)
        #expect(reader.knownTableArrays == ["publish.routes"])
        #expect(!HeraldSettings.knownKeys.contains("publish.routes"))
    }
}
