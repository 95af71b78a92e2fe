// What the app's answer to an auth request means for a stream. Pure: the response head in, a
// verdict out, the same rule when a stream opens and each time it is re-authorized.
//
// A 2xx grants; its `Herald-Channels` header, when present, is the channel set (narrowing the
// request, or naming per-user channels such as `user:42`); without it the asked channels are
// granted. Public channels the client asked for are kept whatever the app says: they were never
// asked about. Any other status refuses, and that answer is relayed to the client.

import EventStream
import HTTP1

public enum AuthorizationVerdict: Sendable, Equatable {
    /// Open the stream on these channels: the public ones asked for, then the granted ones.
    case granted([String])
    /// The app refused (any status but 2xx): relay its answer to the client.
    case refused
    /// A 2xx Herald cannot act on: a bad `Herald-Channels` (502), or one granting nothing (403).
    case unusable(ProxyError)

    /// The response header that lists the granted channels.
    public static let channelsField = "herald-channels"

    /// Decides from the app's response `head` to a request asking about `asked`; `publicChannels`
    /// are those of the subscribe request that needed no asking.
    public static func decide(_ head: HTTPResponseHead, asked: [String], publicChannels: [String],
                              maxChannels: Int) -> AuthorizationVerdict {
        guard (200..<300).contains(head.status) else { return .refused }
        var granted = asked
        if head.fields.contains(channelsField) {
            let spellings = head.fields.values(channelsField).flatMap { value in
                String(decoding: value, as: UTF8.self).split(separator: ",").map { $0.trimmingASCIIWhitespace() }
            }.filter { !$0.isEmpty }
            // Percent-decoded as a channel named in a URL is: `user%3A42` is `user:42`.
            do {
                granted = try spellings.map { spelling throws(ChannelNameError) in try ChannelName.decode(spelling[...]) }
            } catch {
                return .unusable(ProxyError(.upstream, status: 502, "the app's Herald-Channels names an invalid channel: \(error.reason)"))
            }
        }
        var seen = Set<String>()
        let channels = (publicChannels + granted).filter { seen.insert($0).inserted }
        guard !channels.isEmpty else {
            return .unusable(ProxyError(.downstream, status: 403, "the app granted no channel"))
        }
        guard channels.count <= maxChannels else {
            return .unusable(ProxyError(.upstream, status: 502,
                                        "the app granted \(channels.count) channels, more than limits.max_channels_per_connection (\(maxChannels))"))
        }
        return .granted(channels)
    }

    /// True when an open stream on `channels` may stay open after this verdict of a
    /// re-authorization: the app still grants every one of them. Re-authorization never adds a
    /// channel to an open stream; one the app no longer grants closes it.
    public func keeps(_ channels: [String]) -> Bool {
        guard case .granted(let granted) = self else { return false }
        return Set(channels).isSubset(of: granted)
    }
}
