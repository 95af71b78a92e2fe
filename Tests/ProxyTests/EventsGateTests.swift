import HTTP1
import Testing
@testable import Proxy

@Suite struct EventsGateTests {
    private let gate = EventsGate(eventsPath: "/events", servesClientScript: true, allowedOrigins: ["https://app.example"])

    private func head(_ target: String, method: String = "GET", _ fields: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: Array(target.utf8), version: .http11,
                        fields: HTTPFields([HTTPField(name: "Host", value: "herald.example:8080")] + fields.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    private func value(_ name: String, in fields: [HTTPField]) -> String? {
        fields.first { $0.name == name }?.valueString
    }

    @Test func aSameOriginSubscribeOpensAStreamWithoutCORSFields() {
        #expect(gate.decide(head("/events/orders")) == .stream(fields: []))
        #expect(gate.decide(head("/events/orders", [("Origin", "http://herald.example:8080")])) == .stream(fields: []))
        #expect(gate.decide(head("/events/orders", method: "HEAD")) == .stream(fields: []))
    }

    @Test func anAllowedOriginIsAnsweredWithItsOwnNameAndCredentials() {
        guard case .stream(let fields) = gate.decide(head("/events/orders", [("Origin", "https://app.example")])) else {
            Issue.record("expected a stream")
            return
        }
        #expect(value("Access-Control-Allow-Origin", in: fields) == "https://app.example")
        #expect(value("Access-Control-Allow-Credentials", in: fields) == "true")
        #expect(value("Vary", in: fields) == "Origin")
    }

    @Test func anOriginNotListedIsRefusedWith403() {
        for origin in ["https://evil.example", "http://app.example", "null"] {
            guard case .refuse(let error, _) = gate.decide(head("/events/orders", [("Origin", origin)])) else {
                Issue.record("expected a refusal for \(origin)")
                continue
            }
            #expect(error.status == 403)
        }
    }

    @Test func onlyTheListedSchemeHostAndPortAreAllowed() {
        let gate = EventsGate(eventsPath: "/events", servesClientScript: true, allowedOrigins: ["https://a.example"])
        #expect(gate.originVerdict("https://a.example", host: "herald.example") == .allowed("https://a.example"))
        #expect(gate.originVerdict("http://a.example", host: "herald.example") == .refused("http://a.example"))
        #expect(gate.originVerdict("https://a.example:8443", host: "herald.example") == .refused("https://a.example:8443"))
    }

    @Test func theWildcardAllowsEveryOriginByName() {
        let open = EventsGate(eventsPath: "/events", servesClientScript: true, allowsAnyOrigin: true)
        guard case .stream(let fields) = open.decide(head("/events/a", [("Origin", "https://any.example")])) else {
            Issue.record("expected a stream")
            return
        }
        #expect(value("Access-Control-Allow-Origin", in: fields) == "https://any.example")
    }

    @Test func aPreflightFromAnAllowedOriginGetsMethodsHeadersAndMaxAge() {
        let request = head("/events/orders", method: "OPTIONS", [
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "last-event-id, authorization"),
        ])
        guard case .options(let fields) = gate.decide(request) else {
            Issue.record("expected an OPTIONS answer")
            return
        }
        #expect(value("Access-Control-Allow-Origin", in: fields) == "https://app.example")
        #expect(value("Access-Control-Allow-Methods", in: fields) == "GET, HEAD")
        #expect(value("Access-Control-Allow-Headers", in: fields) == "last-event-id, authorization")
        #expect(value("Access-Control-Max-Age", in: fields) == "600")
    }

    @Test func aPreflightAskingForSomethingThatIsNoFieldNameGetsNoAllowHeaders() {
        let request = head("/events/orders", method: "OPTIONS", [
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "a b"),
        ])
        guard case .options(let fields) = gate.decide(request) else {
            Issue.record("expected an OPTIONS answer")
            return
        }
        #expect(value("Access-Control-Allow-Headers", in: fields) == nil)
    }

    @Test func aPreflightFromAnOriginNotListedIsRefused() {
        let request = head("/events/orders", method: "OPTIONS", [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
        guard case .refuse(let error, _) = gate.decide(request) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.status == 403)
    }

    @Test func otherMethodsGet405WithAllow() {
        guard case .refuse(let error, let fields) = gate.decide(head("/events/orders", method: "POST")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.status == 405)
        #expect(value("Allow", in: fields) == "GET, HEAD, OPTIONS")
    }

    @Test func theClientScriptIsServedWithoutAnOriginCheckUnlessTurnedOff() {
        #expect(gate.decide(head("/events/client.js")) == .clientScript)
        #expect(gate.decide(head("/events/client.js?v=2", [("Origin", "https://evil.example")])) == .clientScript)
        let off = EventsGate(eventsPath: "/events", servesClientScript: false)
        #expect(off.decide(head("/events/client.js")) == .stream(fields: []))
    }

    @Test(arguments: [
        ("http://a.example", "a.example", true), ("http://a.example", "a.example:80", true),
        ("https://a.example", "a.example:443", true), ("http://a.example:80", "a.example", true),
        ("https://a.example:8443", "a.example:8443", true), ("http://a.example", "b.example", false),
        ("http://a.example:81", "a.example", false), ("null", "a.example", false),
    ])
    func anOriginNamesItsOwnHostWhateverTheDefaultPort(origin: String, host: String, same: Bool) {
        #expect(EventsGate.origin(origin, names: host) == same)
    }
}
