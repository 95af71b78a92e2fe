// A connection's input: the bytes read and not yet taken by its owner, and how the next read is made.
//
// Each readiness makes one recv into space reserved at the end of the input buffer, 4 KiB at first
// and up to 64 KiB while the socket keeps filling what was reserved, so a small request costs one
// system call and a large body few. (libevent's bufferevent asked the kernel for the readable byte
// count, an ioctl, before every read and read at most 4 KiB at a time.)
//
// A small read into an empty input lands in the loop's scratch instead (`EventLoop.readScratch`):
// the owner takes what it wants during the read callback, and only what it leaves is copied into
// the buffer (`keepScratch`). A request or response answered from one read then allocates and frees
// no evbuffer chain (a 4 KiB chain is past glibc's per-thread cache).
//
// Its methods call nothing outside it (no delegate, no connection), so the connection mutates it
// in place without an exclusivity check at run time.

internal import CLibevent
import Glibc

struct ConnectionInput {
    /// Bytes read and kept past a read callback. Empty while the scratch holds the input.
    let buffer: OpaquePointer
    /// During the read callback of a read into the loop's scratch: the bytes not taken yet.
    /// Invariant: non-nil only then, and the buffer is empty meanwhile.
    private var scratch: UnsafeRawPointer?
    private var scratchCount = 0
    /// Bytes reserved for the next read: grows while reads fill it, falls back when they do not.
    private var readSize = Self.minReadSize
    /// Reading pauses while the input holds this many bytes (0 = no bound).
    var highWatermark = 0
    /// The owner wants bytes read (`Connection.setReading`).
    var wanted = true
    /// The peer closed or a read failed: no read again.
    var ended = false

    /// An evbuffer chain holds its header in the same allocation: reservations a little under a
    /// power of two keep each chain in one malloc size class.
    static let minReadSize = 4096 - 128
    static let maxReadSize = 65536 - 128

    init?() {
        guard let buffer = evbuffer_new() else { return nil }
        self.buffer = buffer
    }

    /// Frees the buffer; nothing may use the input after.
    func free() {
        evbuffer_free(buffer)
    }

    /// Bytes waiting: in the scratch or in the buffer (never both).
    var count: Int {
        scratch != nil ? scratchCount : evbuffer_get_length(buffer)
    }

    /// The input is in the loop's scratch (during a read callback).
    var holdsScratch: Bool { scratch != nil }

    /// Whether reading should go on, as far as the input is concerned.
    var wantsMore: Bool {
        wanted && !ended && (highWatermark == 0 || count < highWatermark)
    }

    /// A contiguous view of the first `count` bytes (at most what is there), linearizing only that
    /// prefix; valid until the input next changes.
    func bytes(upTo count: Int) -> UnsafeRawBufferPointer {
        let length = min(count, self.count)
        if length > 0, let scratch { return UnsafeRawBufferPointer(start: scratch, count: length) }
        guard length > 0, let start = evbuffer_pullup(buffer, length) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: start, count: length)
    }

    /// Discards the first `count` bytes (at most what is there); returns how many.
    @discardableResult
    mutating func consume(_ count: Int) -> Int {
        guard let scratch else {
            let consumed = min(count, evbuffer_get_length(buffer))
            evbuffer_drain(buffer, consumed)
            return consumed
        }
        let taken = min(count, scratchCount)
        self.scratch = scratch + taken
        scratchCount -= taken
        return taken
    }

    /// Moves up to `count` bytes (not in the scratch) to the end of `target` as chains, without a
    /// copy; returns how many, or -1 when libevent failed.
    func move(_ count: Int, to target: OpaquePointer) -> Int {
        Int(evbuffer_remove_buffer(buffer, target, count))
    }

    /// Drops every byte (a lingering close reads nothing more).
    mutating func discardAll() {
        evbuffer_drain(buffer, evbuffer_get_length(buffer))
        scratch = nil
        scratchCount = 0
    }

    // MARK: Reading

    /// One read from `fd`: into `scratchSpace` when the input is empty and reads are small, else
    /// into space reserved at the end of the buffer. Returns what the read returned (errno set when
    /// below 0) and whether it went to the scratch (then `keepScratch` follows the callback).
    mutating func read(from fd: Int32, scratchSpace: UnsafeMutableRawBufferPointer) -> (result: Int, intoScratch: Bool) {
        var size = readSize
        let buffered = evbuffer_get_length(buffer)
        if highWatermark > 0 { size = max(1, min(size, highWatermark - buffered)) }
        let intoScratch = buffered == 0 && readSize == Self.minReadSize
        let result: Int
        if intoScratch {
            result = recv(fd, scratchSpace.baseAddress, min(size, scratchSpace.count), 0)
            if result > 0 {
                scratch = UnsafeRawPointer(scratchSpace.baseAddress)
                scratchCount = result
            }
        } else {
            result = readIntoBuffer(from: fd, size, buffered: buffered)
        }
        if result > 0 {
            readSize = result >= size ? min(readSize * 2 + 128, Self.maxReadSize) : (result < size / 2 ? Self.minReadSize : readSize)
        }
        return (result, intoScratch)
    }

    /// After the read callback: what the owner left in the scratch goes into the buffer, for the
    /// next callbacks (the scratch is the next read's). False when libevent could not take it.
    mutating func keepScratch() -> Bool {
        defer {
            scratch = nil
            scratchCount = 0
        }
        guard let scratch, scratchCount > 0 else { return true }
        return evbuffer_add(buffer, scratch, scratchCount) == 0
    }

    /// Forgets the scratch without keeping it (the connection closed during the callback).
    mutating func forgetScratch() {
        scratch = nil
        scratchCount = 0
    }

    /// One read into space reserved at the end of the buffer.
    private func readIntoBuffer(from fd: Int32, _ size: Int, buffered: Int) -> Int {
        // libevent's evbuffer_iovec is struct iovec here. An empty buffer gets one new chain either
        // way, and asking for one vector sets it up with less work.
        var vectors = (iovec(), iovec())
        return withUnsafeMutableBytes(of: &vectors) { raw in
            let vector = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
            let count = evbuffer_reserve_space(buffer, size, vector, buffered == 0 ? 1 : 2)
            guard count > 0 else { return -1 }
            let read: Int
            if count == 1 {
                read = recv(fd, vector[0].iov_base, min(vector[0].iov_len, size), 0)
            } else {
                vector[1].iov_len = min(vector[1].iov_len, size - min(size, vector[0].iov_len))
                read = readv(fd, vector, 2)
            }
            guard read > 0 else { return read }
            // Commit what was read: the first vector fills before the second.
            var left = read
            for index in 0..<Int(count) {
                vector[index].iov_len = min(vector[index].iov_len, left)
                left -= vector[index].iov_len
            }
            evbuffer_commit_space(buffer, vector, count)
            return read
        }
    }
}
