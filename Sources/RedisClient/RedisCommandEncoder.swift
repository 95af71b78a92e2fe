internal import CHiredis

/// Formats a command (its name and arguments, any bytes) as RESP, an array of bulk strings, with
/// hiredis's `redisFormatCommandArgv`.
enum RedisCommandEncoder {
    /// The RESP bytes of `arguments` (at least one: the command's name).
    static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        precondition(!arguments.isEmpty, "a Redis command needs a name (Redis answers an empty one with nothing)")
        // One run of bytes holding every argument, and a trailing 0 so it is never empty: hiredis
        // takes a pointer and a length per argument, and an empty argument still needs a pointer.
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            joined += argument
            lengths.append(argument.count)
        }
        joined.append(0)
        // SAFETY: every pointer in argv points into `joined` at an offset whose argument fits
        // before its end, and argv, `lengths` and `joined` outlive the call. hiredis allocates
        // `target` (freed with redisFreeCommand once copied) and writes `length` bytes to it.
        return joined.withUnsafeBufferPointer { joined in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: arguments.count) { argv in
                let base = UnsafeRawPointer(joined.baseAddress!)
                var offset = 0
                for index in lengths.indices {
                    argv[index] = (base + offset).assumingMemoryBound(to: CChar.self)
                    offset += lengths[index]
                }
                var target: UnsafeMutablePointer<CChar>?
                let length = lengths.withUnsafeBufferPointer { lengths in
                    redisFormatCommandArgv(&target, Int32(lengths.count), argv.baseAddress, lengths.baseAddress)
                }
                // hiredis fails only when malloc does, where a Swift allocation would trap too.
                guard length >= 0, let target else { fatalError("redisFormatCommandArgv could not allocate") }
                defer { redisFreeCommand(target) }
                return Array(UnsafeRawBufferPointer(start: target, count: Int(length)))
            }
        }
    }

    static func encode(_ arguments: [String]) -> [UInt8] {
        encode(arguments.map { Array($0.utf8) })
    }
}
