// GRIP (Pushpin's "Generic Realtime Intermediary Protocol"), the part Herald speaks: an upstream
// response carrying `Grip-Hold: stream` asks Herald to hold the client's connection open as a
// stream on the `Grip-Channel`s and to write what is published to them. Pure: response fields in,
// an instruction out.
//
// Honoured: Grip-Hold (`stream`), Grip-Channel (names, and `prev-id` as a resume point),
// Grip-Keep-Alive (its content and `format`: raw, cstring, base64; written on Herald's own
// heartbeat, so `timeout` and `mode` are not; without it, a `text/event-stream` response gets
// Herald's `:` comment line), Grip-Status. Every other Grip-* field (Grip-Timeout,
// Grip-Link, Grip-Set-Meta, Grip-Expose-Headers, …) is removed and otherwise ignored.

import EventStream
import Foundation
import HTTP1

/// What a GRIP response asks of Herald.
public struct GripInstruction: Sendable, Equatable {
    /// One `Grip-Channel` element.
    public struct Channel: Sendable, Equatable {
        public var name: String
        /// `prev-id`: the id of the last item the app included in its response; Herald sends the
        /// events its history holds after that id first (none when the id is not held).
        public var previousID: String?

        public init(name: String, previousID: String? = nil) {
            self.name = name
            self.previousID = previousID
        }
    }

    public var channels: [Channel]
    /// `Grip-Status`: the status (and reason) the client gets instead of the response's own.
    public var status: (code: Int, reason: String)?
    /// `Grip-Keep-Alive`: bytes written to the stream when it has been idle for a heartbeat.
    public var keepAlive: [UInt8]?

    public init(channels: [Channel], status: (code: Int, reason: String)? = nil, keepAlive: [UInt8]? = nil) {
        self.channels = channels
        self.status = status
        self.keepAlive = keepAlive
    }

    public static func == (a: GripInstruction, b: GripInstruction) -> Bool {
        a.channels == b.channels && a.status?.code == b.status?.code && a.status?.reason == b.status?.reason
            && a.keepAlive == b.keepAlive
    }

    /// True when a field is a GRIP instruction (`Grip-` prefix, any case), never for the client.
    public static func isGripField(_ field: HTTPField) -> Bool {
        field.name.utf8.count > 5 && field.name.prefix(5).lowercased() == "grip-"
    }

    /// Removes every GRIP field.
    public static func removeGripFields(_ fields: inout HTTPFields) {
        fields.removeAll(where: isGripField)
    }

    /// True when a held response is an event stream (its `Content-Type` is `text/event-stream`, in
    /// any case, with or without parameters): a comment line between its items is then harmless,
    /// and serves as its heartbeat when the app gave no `Grip-Keep-Alive`.
    public static func isEventStream(_ fields: HTTPFields) -> Bool {
        guard let type = fields.firstString("content-type") else { return false }
        let mediaType = type.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.trimmingASCIIWhitespace().lowercased() == "text/event-stream"
    }

    /// The instruction in `fields`, nil when there is no `Grip-Hold`. Throws a 502 (the app's
    /// mistake) for a hold Herald cannot do as asked.
    public static func parse(_ fields: HTTPFields, maxChannels: Int) throws(ProxyError) -> GripInstruction? {
        guard let hold = fields.firstString("grip-hold") else { return nil }
        switch hold.trimmingASCIIWhitespace().lowercased() {
        case "stream": break
        case "response": throw failure("Grip-Hold: response (long-polling) is not supported, only stream")
        default: throw failure("unknown Grip-Hold \"\(hold.prefix(32))\" (expected stream)")
        }
        var channels: [Channel] = []
        for value in fields.values("grip-channel") {
            for element in String(decoding: value, as: UTF8.self).split(separator: ",") {
                let parts = element.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingASCIIWhitespace() }
                // Percent-decoded as a channel named in a URL is: `user%3A42` is `user:42`.
                let name: String
                do {
                    name = try ChannelName.decode(parts[0][...])
                } catch {
                    throw failure("Grip-Channel: \(error.reason)")
                }
                var channel = Channel(name: name)
                for parameter in parts.dropFirst() {
                    let (key, value) = Self.parameter(parameter)
                    if key == "prev-id" { channel.previousID = value }
                }
                if !channels.contains(where: { $0.name == name }) { channels.append(channel) }
            }
        }
        guard !channels.isEmpty else { throw failure("Grip-Hold: stream without a Grip-Channel") }
        guard channels.count <= maxChannels else {
            throw failure("Grip-Channel names \(channels.count) channels, more than limits.max_channels_per_connection (\(maxChannels))")
        }
        var instruction = GripInstruction(channels: channels)
        if let status = fields.firstString("grip-status") {
            let parts = status.trimmingASCIIWhitespace().split(separator: " ", maxSplits: 1)
            guard let code = parts.first.flatMap({ Int($0) }), (200...599).contains(code) else {
                throw failure("Grip-Status \"\(status.prefix(32))\": expected a status code from 200 to 599")
            }
            instruction.status = (code, parts.count > 1 ? String(parts[1]) : ProxyError.reasonPhrase(code))
        }
        if let keepAlive = fields.firstString("grip-keep-alive") {
            instruction.keepAlive = try Self.keepAliveContent(keepAlive)
        }
        return instruction
    }

    /// `Grip-Keep-Alive: <content>; format=raw|cstring|base64; timeout=<s>`: the content decoded.
    static func keepAliveContent(_ value: String) throws(ProxyError) -> [UInt8] {
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        let content = parts[0].trimmingASCIIWhitespace()
        var format = "raw"
        for parameter in parts.dropFirst() {
            let (key, value) = Self.parameter(parameter.trimmingASCIIWhitespace())
            if key == "format", let value { format = value.lowercased() }
        }
        switch format {
        case "raw":
            return Array(content.utf8)
        case "cstring":
            guard let bytes = Self.unescapeCString(content) else { throw failure("Grip-Keep-Alive: invalid cstring escape") }
            return bytes
        case "base64":
            guard let data = Data(base64Encoded: content) else { throw failure("Grip-Keep-Alive: invalid base64") }
            return Array(data)
        default:
            throw failure("Grip-Keep-Alive: unknown format \"\(format.prefix(32))\" (expected raw, cstring or base64)")
        }
    }

    /// `\\`, `\r`, `\n`, `\t` and `\0` escapes, as Pushpin's cstring format has them.
    static func unescapeCString(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var escaped = false
        for byte in text.utf8 {
            if escaped {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(byte)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "0"): bytes.append(0x00)
                default: return nil
                }
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                bytes.append(byte)
            }
        }
        return escaped ? nil : bytes
    }

    /// `key=value` or `key="value"` (the key lowercased), or `key` alone.
    static func parameter(_ text: String) -> (String, String?) {
        guard let equals = text.firstIndex(of: "=") else { return (text.lowercased(), nil) }
        let key = text[..<equals].trimmingASCIIWhitespace().lowercased()
        var value = text[text.index(after: equals)...].trimmingASCIIWhitespace()
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        return (key, value)
    }

    private static func failure(_ reason: String) -> ProxyError {
        ProxyError(.upstream, status: 502, reason)
    }
}
