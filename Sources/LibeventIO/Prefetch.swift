// A cache hint for sweeps over many objects.

internal import CLibevent

/// Asks the processor to start loading the first `bytes` of `object` (its header and first
/// stored properties) into the cache, and returns at once. A sweep that writes to thousands of
/// streams asks for the memory of the next ones while it writes to this one, so that their first
/// touch is not a cache miss waited for. A hint only: nothing is retained, read or changed.
public func prefetch(_ object: AnyObject, bytes: Int = 128) {
    let start = UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque())
    for offset in stride(from: 0, to: bytes, by: 64) {
        herald_prefetch(start + offset)
    }
}
