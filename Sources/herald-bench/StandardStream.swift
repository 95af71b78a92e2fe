import Glibc

/// Lines for a script to read (stdout) or a person to read (stderr), written unbuffered: a script
/// waiting for `READY` must see it at once, and Swift 6 forbids touching C's `stdout` global.
enum StandardStream {
    static func out(_ line: String) { write(line + "\n", to: 1) }
    static func err(_ line: String) { write(line + "\n", to: 2) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            // Bounded: each pass writes at least one byte or gives up.
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
