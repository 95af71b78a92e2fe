import HTTP1
import Testing
@testable import Proxy

@Suite struct RouterTests {
    private func head(_ target: String, method: String = "GET", host: String = "app.example") -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: Array(target.utf8), version: .http11,
                        fields: HTTPFields([HTTPField(name: "Host", value: host)]))
    }

    @Test func ordinaryPathsAreForwarded() {
        let router = Router()
        #expect(router.route(head("/")) == .forward)
        #expect(router.route(head("/eventsource")) == .forward)
        #expect(router.route(head("/api/events")) == .forward)
        #expect(router.route(head("*", method: "OPTIONS")) == .forward)
    }

    @Test func theHealthPathIsAnsweredByHeraldOnlyWhenSetAndOnlyExactly() {
        #expect(Router().route(head("/herald/health")) == .forward)
        let router = Router(eventsPath: "/events", healthPath: "/herald/health")
        #expect(router.route(head("/herald/health")) == .health)
        #expect(router.route(head("/herald/health?probe=1", method: "HEAD")) == .health)
        #expect(router.route(head("/herald/healthz")) == .forward)
        #expect(router.route(head("/herald/health/x")) == .forward)
        #expect(router.route(head("/herald")) == .forward)
    }

    @Test func theEventsPrefixIsHeldByHerald() {
        let router = Router(eventsPath: "/events")
        #expect(router.route(head("/events")) == .events)
        #expect(router.route(head("/events/orders")) == .events)
        #expect(router.route(head("/events?channel=a")) == .events)
    }

    @Test func absoluteFormNamingAnotherHostIsRefused() {
        guard case .refuse(let error) = Router().route(head("http://example.com/", host: "app.example")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.status == 403)
        #expect(error.source == .downstream)
    }

    @Test func absoluteFormIsRefusedEvenWhenItMatchesTheHost() {
        guard case .refuse(let error) = Router().route(head("HTTP://App.Example/x", host: "app.example")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.status == 403)
    }

    @Test func connectIsRefused() {
        guard case .refuse(let error) = Router().route(head("example.com:443", method: "CONNECT")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.status == 405)
    }

    @Test func aTargetThatIsNoPathIsRefused() {
        guard case .refuse(let error) = Router().route(head("example.com:443")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.status == 400)
    }
}
