/// How many times one reason (a failure, a drop, a status) occurred. Reports list these rather
/// than use the reasons as JSON keys, which key-case conversion would rewrite.
struct ReasonCount: Codable, Sendable {
    var reason: String
    var count: Int

    /// The counts, most frequent first.
    static func list(_ counts: [String: Int]) -> [ReasonCount] {
        counts.map { ReasonCount(reason: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.reason < $1.reason }
    }
}
