/// A request Fanout refuses (a subscribe request): always the
/// client's mistake, so its reason goes into a 400.
public struct FanoutError: Error, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
