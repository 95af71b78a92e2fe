// libFuzzer target for what a publisher, a webhook sender and a reconnecting client send: Herald's
// JSON publish body, Pushpin's format, the raw publish (channel spelling, query string, body), a
// webhook body through a route's templates (Herald's own JSON parser), Last-Event-ID (header and
// query), channel names, the subscribe request's target and the event encoder. Fuzz/build.sh
// compiles it with Sources/EventStream (a module of its own), Sources/Publishing without its two
// signature files (they need swift-crypto; the signatures are unit tested) and Fanout's
// SubscribeRequest. Beyond not crashing, it checks the property subscribers rely on: every event a
// publish request or a webhook makes, encoded and read back by a WHATWG EventSource parser, is one
// event with the same id and type, and the same data (line ends as LF), and nothing else. A
// subscribe request that parses names 1 to its maximum of distinct valid channels, reads back from
// a plain spelling of them, and resumes from an id that cannot break an event's framing.

import EventStream

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    fuzzJSONPublish(input)
    fuzzRawPublish(input)
    fuzzLastEventID(input)
    fuzzSubscribe(input)
    fuzzWebhook(input)
    return 0
}

func fuzzJSONPublish(_ input: [UInt8]) {
    guard let parsed = try? PublishRequest.parseJSON(input) else { return }
    if PushpinPublish.isPushpinFormat(parsed) {
        for item in (try? PushpinPublish.items(parsed)) ?? [] { _ = ChannelName.isValid(item.channel) }
        return
    }
    for request in (try? PublishRequest.json(parsed)) ?? [] { checkEncoding(request) }
}

/// The input as `channel \n query \n body`.
func fuzzRawPublish(_ input: [UInt8]) {
    let parts = input.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3 else { return }
    let channel = String(decoding: parts[0], as: UTF8.self)
    let query = String(decoding: parts[1], as: UTF8.self)
    guard let request = try? PublishRequest.raw(channel: channel, query: query[...], body: Array(parts[2])) else { return }
    check(request.channels.count == 1 && ChannelName.isValid(request.channels[0]), "a raw publish names one valid channel")
    checkEncoding(request)
}

func fuzzLastEventID(_ input: [UInt8]) {
    let query = String(decoding: input, as: UTF8.self)
    for found in [LastEventID.from(header: input, query: nil), LastEventID.from(header: nil, query: query)] {
        guard case .id(let id)? = found else { continue }
        check(!id.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }, "a usable Last-Event-ID cannot break an event's framing")
    }
    _ = try? ChannelName.decode(query[...], plusIsSpace: true)
}

/// The input as `target after /events \n Last-Event-ID header`.
func fuzzSubscribe(_ input: [UInt8]) {
    let parts = input.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
    let target = "/events" + String(decoding: parts[0], as: UTF8.self)
    let header = parts.count == 2 ? Array(parts[1]) : nil
    let request: SubscribeRequest
    do {
        request = try SubscribeRequest.parse(target: target, eventsPath: "/events", lastEventIDHeader: header, maxChannels: 4)
    } catch {
        check(!error.reason.isEmpty && !error.reason.contains { $0 == "\r" || $0 == "\n" }, "a refusal is one line: \(error.reason)")
        return
    }
    let channels = request.channels
    check((1...4).contains(channels.count) && Set(channels).count == channels.count, "1 to 4 distinct channels")
    check(channels.allSatisfy(ChannelName.isValid), "every channel is a valid name")
    let query = QueryString.split(target: target).query
    if case .id(let id)? = request.lastEventID {
        check(!id.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }, "a usable Last-Event-ID cannot break an event's framing")
        if let header, !header.isEmpty {
            check(Array(id.utf8) == header, "a usable Last-Event-ID header is taken as sent")
        } else {
            check(query.flatMap { QueryString.values("lastEventId", in: $0).first } == id,
                  "a usable lastEventId reads as URLSearchParams reads it")
        }
    }
    // The channels spelled plainly in the query, and the first one fully percent-encoded in the path.
    let plain = "/events?channel=" + channels.joined(separator: "&channel=")
    let encoded = "/events/" + channels[0].utf8.map { "%" + String($0, radix: 16, uppercase: $0 % 2 == 0) }.joined()
        + "?" + channels.dropFirst().map { "channel=" + $0 }.joined(separator: "&")
    for spelling in [plain, encoded] {
        let again = try? SubscribeRequest.parse(target: spelling, eventsPath: "/events", lastEventIDHeader: nil, maxChannels: 4)
        check(again?.channels == channels, "the channels read back from \(spelling)")
    }
}

/// A webhook route over the input as its body (Herald's own JSON parser and JSON pointers): what
/// it makes is publishable as it is, as `WebhookRoute` promises.
let webhookRoute = WebhookRoute(channel: try! RouteTemplate(parsing: "repo-{/repository/full_name}", for: .channel),
                                event: try! RouteTemplate(parsing: "{/action}", for: .event),
                                id: try! RouteTemplate(parsing: "{/hook/0/id}-{/delivery}", for: .id))

func fuzzWebhook(_ input: [UInt8]) {
    _ = try? JSONValue(parsing: input)
    guard let made = try? webhookRoute.event(body: input, headerValues: { _ in [] }) else { return }
    check(ChannelName.isValid(made.channel), "a webhook's channel is a valid name")
    checkEncoding(PublishRequest(event: made.event, channels: [made.channel]))
}

/// An accepted event, encoded, reads back as itself and as nothing more.
func checkEncoding(_ request: PublishRequest) {
    let event = request.event
    check((try? event.validate()) != nil, "an accepted publish holds a valid event")
    let read = readEvents(EventEncoder.encode(event, channels: request.channels))
    check(read.count == 1, "one event encodes to one event, got \(read.count)")
    guard let first = read.first else { return }
    check(first.id == event.id, "the id reads back")
    check(first.type == ((event.event ?? "").isEmpty ? "message" : event.event!), "the type reads back")
    var lines: [UInt8] = []
    var afterCR = false
    for byte in event.data.utf8 {
        if byte == UInt8(ascii: "\n") && afterCR { afterCR = false; continue }
        afterCR = byte == UInt8(ascii: "\r")
        lines.append(afterCR ? UInt8(ascii: "\n") : byte)
    }
    check(Array(first.data.utf8) == lines, "the data reads back, its line ends as LF: \(String(reflecting: first.data))")
}

/// What a WHATWG EventSource parser dispatches for `bytes` (the spec's steps, nothing more). It works
/// on bytes, as the spec does on code points: with Characters, a space followed by a combining mark
/// would be one character, and the space after `data:` would not be removed.
func readEvents(_ bytes: [UInt8]) -> [(id: String?, type: String, data: String)] {
    let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), colon = UInt8(ascii: ":"), space = UInt8(ascii: " ")
    var events: [(id: String?, type: String, data: String)] = []
    var data: [UInt8] = [], type: [UInt8] = [], lastID: String?
    var lines: [ArraySlice<UInt8>] = []
    var start = 0, index = 0
    while index < bytes.count {
        if bytes[index] == cr || bytes[index] == lf {
            lines.append(bytes[start..<index])
            index += bytes[index] == cr && index + 1 < bytes.count && bytes[index + 1] == lf ? 2 : 1
            start = index
        } else {
            index += 1
        }
    }
    for line in lines {
        if line.isEmpty {
            if !data.isEmpty {
                data.removeLast()
                events.append((lastID, type.isEmpty ? "message" : String(decoding: type, as: UTF8.self),
                               String(decoding: data, as: UTF8.self)))
            }
            data = []
            type = []
            continue
        }
        if line.first == colon { continue }
        let name: ArraySlice<UInt8>, value: ArraySlice<UInt8>
        if let at = line.firstIndex(of: colon) {
            name = line[..<at]
            let rest = line[(at + 1)...]
            value = rest.first == space ? rest.dropFirst() : rest
        } else {
            name = line
            value = []
        }
        switch String(decoding: name, as: UTF8.self) {
        case "event": type = Array(value)
        case "data": data += value + [lf]
        case "id": if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
        default: break
        }
    }
    return events
}

func check(_ condition: @autoclosure () -> Bool, _ what: String) {
    if !condition() { fatalError("property violated: \(what)") }
}
