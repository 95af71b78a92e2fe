/// Bounds on what the parser accepts; each maps to a status when exceeded.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line or status line, in bytes → 414 for requests. Default 8 KiB: nginx's
    /// large_client_header_buffers size, enough for any URL a browser sends.
    public var maxStartLineBytes: Int
    /// Longest head (start line, fields and the blank line) in bytes → 431. Default 64 KiB.
    public var maxHeadBytes: Int
    /// Most header fields in one head → 431. Default 200.
    public var maxFieldCount: Int
    /// Longest chunk-size line (with extensions) in bytes → 400. Default 1 KiB.
    public var maxChunkLineBytes: Int

    public init(maxStartLineBytes: Int = 8 * 1024, maxHeadBytes: Int = 64 * 1024,
                maxFieldCount: Int = 200, maxChunkLineBytes: Int = 1024) {
        self.maxStartLineBytes = maxStartLineBytes
        self.maxHeadBytes = maxHeadBytes
        self.maxFieldCount = maxFieldCount
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
