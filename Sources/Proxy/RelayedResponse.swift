import HTTP1

/// The app's refusal of an auth request, as the client receives it: the status, reason and
/// end-to-end fields as the app sent them (`Location`, `WWW-Authenticate`, `Set-Cookie`, …) and
/// its body, read whole and bounded, so a 302 to the login page or a 401 does what the app means.
public enum RelayedResponse {
    /// Largest body relayed: a login page or an error message, not a download. A larger body is
    /// dropped (the status and fields still go), so memory per waiting subscriber stays bounded.
    public static let maxBodyBytes = 64 * 1024

    /// The bytes for the client. `body` nil means it was over `maxBodyBytes` and is dropped;
    /// `extraFields` (CORS) replace any field of the same name the app sent. The connection closes
    /// after it, as every answer on an events route that opens no stream does.
    public static func bytes(_ response: HTTPResponseHead, body: [UInt8]?, extraFields: [HTTPField],
                             requestMethod: String) -> [UInt8] {
        var fields = response.fields
        fields.removeHopByHop()
        fields.remove("content-length")
        fields.remove(AuthorizationVerdict.channelsField)
        for extra in extraFields { fields.remove(extra.name.lowercased()) }
        var head = HTTPResponseHead(version: .http11, status: response.status, reason: response.reason, fields: fields)
        for extra in extraFields { head.fields.append(extra) }
        let mayHaveBody = response.status != 204 && response.status != 304
        let body = mayHaveBody ? body ?? [] : []
        if mayHaveBody { head.fields.append("Content-Length", String(body.count)) }
        head.fields.append("Connection", "close")
        return head.serialized() + (requestMethod == "HEAD" ? [] : body)
    }
}
