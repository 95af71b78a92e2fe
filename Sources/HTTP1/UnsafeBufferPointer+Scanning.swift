/// The loops every parser here spends its time in: finding a line end and checking a run of bytes
/// against a class. They look at eight bytes at a time (SWAR): a head is mostly long runs of
/// ordinary bytes, and these run on every read of every connection.

/// Views raw bytes handed in by a caller as bytes; never outlives the call it is made in.
@inline(__always)
func byteView(_ raw: UnsafeRawBufferPointer) -> UnsafeBufferPointer<UInt8> {
    // SAFETY: any initialized memory may be read as UInt8, and the view lives only as long as `raw`.
    UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
}

/// Bit tricks on eight bytes in a UInt64 (little-endian byte order: byte 0 is the lowest).
enum Word {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte below `limit` (≤ 0x80) is set; the lowest set bit is always a true
    /// match (a borrow only runs upward from a real match).
    @inline(__always)
    static func bytesBelow(_ limit: UInt8, _ word: UInt64) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highBits
    }

    /// The high bit of each byte equal to `byte` is set (lowest set bit exact, as above).
    @inline(__always)
    static func bytesEqual(_ byte: UInt8, _ word: UInt64) -> UInt64 {
        bytesBelow(1, word ^ (ones &* UInt64(byte)))
    }

    /// The high bit of each byte that is not a letter, a digit, "-" or "." (what field names and
    /// methods are mostly made of) is set, exactly: each byte's high bit is set before subtracting,
    /// so no borrow crosses a byte.
    @inline(__always)
    static func bytesNotNameLike(_ word: UInt64) -> UInt64 {
        let low7 = word & ~highBits
        @inline(__always) func atLeast(_ limit: UInt8, _ bytes: UInt64) -> UInt64 {
            ((bytes | highBits) &- ones &* UInt64(limit)) & highBits
        }
        // Folding in 0x20 maps both cases of a letter, and only letters, into 0x61...0x7A.
        let folded = low7 | ones &* 0x20
        let letter = atLeast(0x61, folded) & ~atLeast(0x7B, folded)
        // 0x2D...0x39 is "-", ".", "/" and the digits: all but "/" are name-like.
        let slash = atLeast(0x2F, low7) & ~atLeast(0x30, low7)
        let digitOrDash = atLeast(0x2D, low7) & ~atLeast(0x3A, low7) & ~slash
        // A byte of the word with its high bit set (not ASCII) is flagged as it is.
        return (~(letter | digitOrDash) | word) & highBits
    }

    /// The index, within the word, of the byte whose high bit is the lowest set bit of `matches`.
    @inline(__always)
    static func firstIndex(_ matches: UInt64) -> Int { matches.trailingZeroBitCount >> 3 }
}

extension UnsafeBufferPointer<UInt8> {
    @inline(__always)
    func word(at index: Int) -> UInt64 {
        // SAFETY: callers pass index + 8 <= count; the load does not need alignment.
        UInt64(littleEndian: UnsafeRawPointer(baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: UInt64.self))
    }

    /// The index of the first LF in `from..<to`, or nil.
    @inline(__always)
    func firstLineFeed(from: Int, to: Int) -> Int? {
        var index = from
        while index + 8 <= to {
            let matches = Word.bytesEqual(HTTPByte.lf, word(at: index))
            if matches != 0 { return index + Word.firstIndex(matches) }
            index += 8
        }
        while index < to {
            if self[index] == HTTPByte.lf { return index }
            index += 1
        }
        return nil
    }

    /// The index of the first byte in `from..<to` that is not field content (VCHAR, obs-text, SP,
    /// HTAB), or `to`: where a field value or a reason phrase stops.
    @inline(__always)
    func firstNonFieldContent(from: Int, to: Int) -> Int {
        var index = from
        while index + 8 <= to {
            let word = word(at: index)
            let matches = Word.bytesBelow(0x20, word) | Word.bytesEqual(0x7F, word)
            if matches == 0 {
                index += 8
                continue
            }
            // A control byte or DEL is in this word, or only a tab: look at it byte by byte.
            let wordEnd = index + 8
            index += Word.firstIndex(matches)
            while index < wordEnd {
                if !HTTPByte.isFieldContent(self[index]) { return index }
                index += 1
            }
        }
        while index < to && HTTPByte.isFieldContent(self[index]) { index += 1 }
        return index
    }

    /// The index of the first byte in `from..<to` that may not be in a request-target (CTL, SP,
    /// DEL), or `to`.
    @inline(__always)
    func firstNonTargetByte(from: Int, to: Int) -> Int {
        var index = from
        while index + 8 <= to {
            let word = word(at: index)
            let matches = Word.bytesBelow(0x21, word) | Word.bytesEqual(0x7F, word)
            if matches != 0 { return index + Word.firstIndex(matches) }
            index += 8
        }
        while index < to && HTTPByte.isTargetByte(self[index]) { index += 1 }
        return index
    }

    /// The index of the first byte in `from..<to` that is not a tchar, or `to`: eight bytes at a
    /// time while they are name-like (a subset of tchar), then byte by byte.
    @inline(__always)
    func firstNonToken(from: Int, to: Int) -> Int {
        var index = from
        while index + 8 <= to {
            let others = Word.bytesNotNameLike(word(at: index))
            if others != 0 {
                index += Word.firstIndex(others)
                break
            }
            index += 8
        }
        while index < to && HTTPByte.isToken(self[index]) { index += 1 }
        return index
    }

    /// `range` without leading and trailing SP and HTAB.
    @inline(__always)
    func trimmingWhitespace(_ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end && HTTPByte.isWhitespace(self[start]) { start += 1 }
        while end > start && HTTPByte.isWhitespace(self[end - 1]) { end -= 1 }
        return start..<end
    }

    /// The bytes of `range` as a String (callers pass validated ASCII, such as tokens).
    @inline(__always)
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }
}
