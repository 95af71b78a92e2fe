extension BodyReader {
    /// The one body-reading loop: reads what it can of the body from the front of `source`,
    /// dropping framing and giving each run of data to `take`, which must remove exactly that many
    /// bytes from the source's front (moving, copying or just dropping them); runs are at most
    /// `maxRun` bytes. Returns true once the body is complete, false when more bytes are needed.
    /// Inlinable: the proxy runs it for every body, on its connections.
    @inlinable
    public mutating func read<Source: BodySource>(
        from source: inout Source, maxRun: Int = .max,
        data take: (inout Source, Int) throws(HTTPParseError) -> Void
    ) throws(HTTPParseError) -> Bool {
        // Framing lines are short: look at this much first, at most a head's worth for trailers.
        let framingPeek = limits.maxChunkLineBytes + 2
        // Bounded: each pass removes bytes from the source, or returns.
        while true {
            let available = source.inputCount
            // Only framing is read from the source: a body without any is not looked at.
            var step = readsFraming
                ? try source.withInput(upTo: framingPeek) { bytes throws(HTTPParseError) in try next(bytes) }
                : try next(UnsafeRawBufferPointer(start: nil, count: 0))
            if step == .needMore && available > framingPeek {
                step = try source.withInput(upTo: limits.maxHeadBytes + 2) { bytes throws(HTTPParseError) in try next(bytes) }
            }
            switch step {
            case .needMore:
                return false
            case .drop(let count):
                source.consumeInput(count)
            case .data(let limit):
                let count = Int(min(UInt64(min(available, maxRun)), limit))
                guard count > 0 else { return false }
                try take(&source, count)
                try consumed(count)
            case .finished(let drop):
                source.consumeInput(drop)
                return true
            }
        }
    }

    /// `read(from:data:)` for a source that is an object (a connection): no `inout` needed.
    @inlinable
    public mutating func read<Source: BodySource & AnyObject>(
        from source: Source, maxRun: Int = .max,
        data take: (Source, Int) throws(HTTPParseError) -> Void
    ) throws(HTTPParseError) -> Bool {
        var source = source
        return try read(from: &source, maxRun: maxRun) { source, count throws(HTTPParseError) in try take(source, count) }
    }
}
