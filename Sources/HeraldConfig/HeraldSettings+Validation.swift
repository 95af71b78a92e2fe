/// A broken rule that spans keys. `keys` (`"publish.listen"`) are the keys the rule reads: when one
/// of them was refused, its field holds a default rather than what was written, so the problem
/// would mislead and is not reported.
struct CrossKeyProblem: Equatable {
    var keys: Set<String>
    /// `[section] key: expected …`, without the file name.
    var message: String
}

extension HeraldSettings {
    /// The rules no single key can check. Run after parsing and again after flags override keys.
    func crossKeyProblems() -> [CrossKeyProblem] {
        var problems: [CrossKeyProblem] = []
        if publish.token.isEmpty && !publish.listen.isLoopback && !publish.requireSignature {
            problems.append(CrossKeyProblem(
                keys: ["publish.token", "publish.listen", "publish.require_signature"],
                message: "[publish] token: expected a token (or require_signature = true) when publish.listen "
                    + "(\(publish.listen)) is not loopback"))
        }
        if publish.requireSignature && publish.allSigningSecrets.isEmpty {
            problems.append(CrossKeyProblem(
                keys: ["publish.require_signature", "publish.signing_secrets", "publish.signing_secrets_file"],
                message: "[publish] require_signature: expected a secret in signing_secrets or signing_secrets_file, got true"))
        }
        if publish.listen.overlaps(server.listen) {
            problems.append(CrossKeyProblem(
                keys: ["publish.listen", "server.listen"],
                message: "[publish] listen: expected an address apart from server.listen (\(server.listen)), "
                    + "got \(ConfigValueError.quoted(publish.listen.description))"))
        }
        if !server.healthPath.isEmpty,
           server.healthPath == events.path || server.healthPath.hasPrefix(events.path + "/") {
            problems.append(CrossKeyProblem(
                keys: ["server.health_path", "events.path"],
                message: "[server] health_path: expected a path outside events.path (\(events.path)), "
                    + "got \(ConfigValueError.quoted(server.healthPath))"))
        }
        if server.maxRequestLineBytes > server.maxHeaderBytes {
            let limit = ByteCount.phrase(for: UInt64(server.maxHeaderBytes))
            problems.append(CrossKeyProblem(
                keys: ["server.max_request_line_bytes", "server.max_header_bytes"],
                message: "[server] max_request_line_bytes: expected at most server.max_header_bytes (\(limit)), "
                    + "got \(ByteCount.phrase(for: UInt64(server.maxRequestLineBytes)))"))
        }
        if events.authorize == .none {
            // Each of these only means something when the app is asked; set alone, it suggests a
            // protection that is not there.
            let unused: [(key: String, isSet: Bool, value: String)] = [
                ("public_channels", !events.publicChannels.isEmpty,
                 "[" + events.publicChannels.patterns.map(ConfigValueError.quoted).joined(separator: ", ") + "]"),
                ("authorize_path", !events.authorizePath.isEmpty, ConfigValueError.quoted(events.authorizePath)),
                ("reauthorize_every", events.reauthorizeEvery != .zero, ConfigValueError.quoted(events.reauthorizeEvery.configText)),
            ]
            for entry in unused where entry.isSet {
                problems.append(CrossKeyProblem(
                    keys: ["events.authorize", "events.\(entry.key)"],
                    message: "[events] \(entry.key): expected events.authorize = \"upstream\" for it to apply "
                        + "(with \"none\" every channel is open to anyone), got \(entry.value)"))
            }
        }
        return problems
    }
}
