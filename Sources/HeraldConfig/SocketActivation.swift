/// The listening sockets systemd passed (socket activation: `LISTEN_PID`, `LISTEN_FDS`,
/// `LISTEN_FDNAMES`, as `sd_listen_fds` reads them). Descriptors start at 3. Sockets named
/// "public" and "publish" (`FileDescriptorName=`) are found by name; unnamed ones, or all with
/// systemd's default name (their socket unit's), are the public listener, then the publish
/// listener, in the order of the unit's `ListenStream=` lines. A listener without a socket here
/// binds its configured address itself.
public struct SocketActivation: Sendable, Equatable {
    public static let firstDescriptor: Int32 = 3
    public static let names = ["public", "publish"]

    /// The public listener's descriptor, if systemd passed one.
    public var publicDescriptor: Int32?
    /// The publish listener's descriptor, if systemd passed one.
    public var publishDescriptor: Int32?

    public init(publicDescriptor: Int32? = nil, publishDescriptor: Int32? = nil) {
        self.publicDescriptor = publicDescriptor
        self.publishDescriptor = publishDescriptor
    }

    /// Reads the variables. None passed (or passed to another process: `LISTEN_PID` is not `pid`)
    /// is no socket; variables that are present but wrong are an error naming the variable.
    public init(environment: [String: String], pid: Int32) throws(ConfigError) {
        self.init()
        guard let pidText = environment["LISTEN_PID"], Int32(pidText) == pid, let countText = environment["LISTEN_FDS"] else { return }
        guard let count = Int32(countText), count >= 1, count <= 2 else {
            throw ConfigError(problems: ["LISTEN_FDS: expected 1 or 2 sockets (public, publish), got \(ConfigValueError.quoted(countText))"])
        }
        var names = Array(Self.names.prefix(Int(count)))
        if let given = environment["LISTEN_FDNAMES"], !given.isEmpty {
            let split = given.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let byName = split.allSatisfy(Self.names.contains) && Set(split).count == split.count
            let byOrder = Set(split).count == 1 && !Self.names.contains(split[0])
            guard split.count == count, byName || byOrder else {
                throw ConfigError(problems: [
                    "LISTEN_FDNAMES: expected \(count) names, \"public\" and \"publish\" or one socket unit's name, separated by \":\", got \(ConfigValueError.quoted(given))",
                ])
            }
            if byName { names = split }
        }
        for (offset, name) in names.enumerated() {
            let descriptor = Self.firstDescriptor + Int32(offset)
            if name == "public" { publicDescriptor = descriptor } else { publishDescriptor = descriptor }
        }
    }

    /// The variables a process reads once and must not pass on.
    public static let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
}
