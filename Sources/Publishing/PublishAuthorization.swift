/// Who may use which route of the publish listener: one rule, from what the request carries and
/// how the listener is configured.
///
/// | request | verdict |
/// |---|---|
/// | `/healthz` | allowed |
/// | a POST (a publish) with a valid signature | allowed: GitHub and Standard Webhooks senders cannot send a bearer token |
/// | a POST with a wrong, expired or malformed signature | 401 with the reason, whatever else it carries |
/// | a POST without a signature, `require_signature` on | 401 "missing signature" |
/// | anything else, `publish.token` set | allowed with `Authorization: Bearer <token>`, else 401 |
/// | anything else, no token, loopback listener | allowed (only this machine can reach it) |
/// | anything else, no token, listener open to the network | 403: a token is needed for it |
public enum PublishAuthorization {
    public enum Route: Sendable, Equatable {
        /// `/healthz`: open to anyone, for load balancers and probes.
        case health
        /// A POST: a publish, on whichever path.
        case publish
        /// Every other route: /channels, /metrics, and methods a publish path does not take.
        case other
    }

    public enum Bearer: Sendable, Equatable {
        /// `publish.token` is empty.
        case notConfigured
        case valid
        case missingOrWrong
    }

    public enum Verdict: Sendable, Equatable {
        case allowed
        /// 401 with a JSON body `{"error": reason}`.
        case signatureRefused(String)
        /// 401 with `WWW-Authenticate: Bearer`.
        case bearerRefused
        /// 403: no token is configured and the listener is not loopback.
        case tokenNeeded
    }

    /// `signature` is nil when no secret is configured (signatures are not checked then).
    public static func verdict(route: Route, signature: SignatureVerdict?, requireSignature: Bool,
                               bearer: Bearer, listenerIsLoopback: Bool) -> Verdict {
        if route == .health { return .allowed }
        if route == .publish, let signature {
            switch signature {
            case .valid: return .allowed
            case .invalid(let reason): return .signatureRefused(reason)
            case .missing where requireSignature: return .signatureRefused("missing signature")
            case .missing: break
            }
        }
        switch bearer {
        case .valid: return .allowed
        case .missingOrWrong: return .bearerRefused
        case .notConfigured: return listenerIsLoopback ? .allowed : .tokenNeeded
        }
    }
}
