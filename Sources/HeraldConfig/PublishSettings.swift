import Publishing

/// `[publish]`: the listener that accepts events from publishers (the app's webhooks).
public struct PublishSettings: Sendable, Equatable {
    /// `listen`, "host:port": the publish listener. Default `127.0.0.1:8081`, loopback only, so
    /// nobody outside this machine can publish unless you open it.
    public var listen = ListenAddress(host: "127.0.0.1", port: 8081)
    /// `token`: when set, publishers must send `Authorization: Bearer <token>`. Default empty (no
    /// token), allowed only while `listen` is a loopback address.
    public var token = ""
    /// `token_file`: a file holding `token` instead (a secret kept out of proxy.conf), read when
    /// proxy.conf is loaded; a newline at its end is not part of the token. Not with `token`.
    /// Default none (empty).
    public var tokenFile = ""
    /// `max_body_bytes`: largest publish request body, in bytes, before `413`. Default 1 MiB: an
    /// event is a notification, not a file, and a body is held whole while it is parsed. Range
    /// 1 KiB–64 MiB.
    public var maxBodyBytes = 1 << 20
    /// `[[publish.routes]]`: paths where webhooks in their senders' own formats become events.
    /// Default none.
    public var routes: [PublishRoute] = []
    /// `signing_secrets`: secrets shared with webhook senders (`whsec_<base64>` for Standard
    /// Webhooks, or text as typed, as GitHub takes it); several at once while rotating. A publish
    /// with a valid signature needs no bearer token. Default none.
    public var signingSecrets: [SigningSecret] = []
    /// `signing_secrets_file`: a file of more secrets, one a line, read at start. Default none.
    public var signingSecretsFile = SigningSecretsFile()
    /// `require_signature`: refuse every publish without a valid signature (401). Default false;
    /// true needs a secret, and lets the listener face a network without `token`.
    public var requireSignature = false
    /// `signature_tolerance`: how far `webhook-timestamp` may lie from now, either way. Default 5
    /// minutes (the Standard Webhooks recommendation), range 1 s–1 h: a request captured on the
    /// way cannot be replayed after it.
    public var signatureTolerance = Duration.seconds(300)

    /// Every configured secret: the key's, then the file's.
    public var allSigningSecrets: [SigningSecret] { signingSecrets + signingSecretsFile.secrets }

    /// Every setting at its default.
    public init() {}
}
