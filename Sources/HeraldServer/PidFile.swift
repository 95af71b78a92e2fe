import Glibc
import Foundation

/// `server.pid_file`: this process's id, written once it serves so `herald reload` can find it;
/// removed when it stops, unless another process wrote its own there meanwhile.
struct PidFile {
    let path: String
    private let content: String

    init(writing path: String) throws {
        self.path = path
        content = "\(getpid())\n"
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() {
        guard (try? String(contentsOfFile: path, encoding: .utf8)) == content else { return }
        unlink(path)
    }
}
