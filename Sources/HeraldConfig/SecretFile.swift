import Foundation

/// Reads the files proxy.conf names for secrets (`publish.token_file`, `publish.signing_secrets_file`,
/// `redis.password_file`): at most `maxBytes`, so a path such as /dev/zero or a log file named by
/// mistake is refused with its key named instead of filling memory or never ending.
enum SecretFile {
    /// Far more than any token, password or list of secrets.
    static let maxBytes = 64 * 1024

    /// The file's text. `what` completes "a readable file of…" / "a UTF-8 file of…" in the
    /// messages, which name the path but never repeat what the file holds.
    static func read(_ path: String, holding what: String) throws(ConfigValueError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigValueError(expected: "a readable file \(what)", got: ConfigValueError.quoted(path) + " (cannot be read)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw ConfigValueError(expected: "a readable file \(what)", got: ConfigValueError.quoted(path) + " (cannot be read)")
        }
        guard data.count <= maxBytes else {
            throw ConfigValueError(expected: "a file \(what) of at most 64 KiB", got: ConfigValueError.quoted(path) + " (larger)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigValueError(expected: "a UTF-8 file \(what)", got: ConfigValueError.quoted(path))
        }
        return text
    }
}
