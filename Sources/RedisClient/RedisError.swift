/// Why a Redis command failed or a Redis connection ended; the case names the source.
public enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server could not be reached: the address did not resolve, or the connect was refused,
    /// failed or timed out (`connectTimeout`).
    case connectFailed(String)
    /// The connection ended under the client: the server closed it, or the socket failed.
    case connectionLost(String)
    /// The oldest command waited longer than `commandTimeout` for its reply; the connection is
    /// closed, because the replies still to come would belong to the wrong commands.
    case timeout
    /// The server refused AUTH or SELECT (the reply's message, after the command's name).
    case handshakeRefused(String)
    /// The server's bytes were not RESP (hiredis's reader error), a reply was larger than the
    /// reader's bound, or a reply came that no command was waiting for.
    case protocolError(String)
    /// The server answered this command with an error reply (`ERR …`, `WRONGTYPE …`, `NOSCRIPT …`).
    /// Only this case leaves the connection usable.
    case replied(String)
    /// `RedisConnection.maxPendingCommands` commands already wait for their replies.
    case overloaded
    /// The owner closed the connection (`close()`). (Commands sent after a connection ended fail
    /// with the reason it ended.)
    case closed

    public var description: String {
        switch self {
        case .connectFailed(let reason): "redis connect failed: \(reason)"
        case .connectionLost(let reason): "redis connection lost: \(reason)"
        case .timeout: "redis command timed out"
        case .handshakeRefused(let reply): "redis refused the handshake: \(reply)"
        case .protocolError(let reason): "redis protocol error: \(reason)"
        case .replied(let message): "redis replied: \(message)"
        case .overloaded: "redis connection overloaded: too many commands waiting for replies"
        case .closed: "redis connection closed"
        }
    }
}
