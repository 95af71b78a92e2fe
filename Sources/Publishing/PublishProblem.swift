/// A refused publish (in Herald's format or Pushpin's): the publisher's mistake, so its status
/// (400 unless said) and reason are the answer.
public struct PublishProblem: Error, Sendable, Equatable {
    public var status: Int
    public var reason: String

    public init(status: Int = 400, reason: String) {
        self.status = status
        self.reason = reason
    }
}
