/// What a `request_token` call led to.
public enum TokenRequestOutcome: Sendable, Equatable {
    /// 200: the participant holds a token.
    case granted(TokenGrant)
    /// 403 (or 415) `status:"success"` with `pin`/`guest_pin`: a PIN is asked for. Both false never happens in
    /// practice.
    case pinChallenge(hostPINRequired: Bool, guestPINRequired: Bool)
    /// 403 with the string "Invalid PIN" (whatever the envelope status).
    case invalidPIN
    /// 404, with the node's message.
    case conferenceNotFound(message: String)
    /// A challenge the bridge cannot answer: "idp", "sso_redirect" or "conference_extension".
    case unsupportedChallenge(kind: String)
    /// Any other 4xx, with the node's message.
    case refused(status: Int, message: String)
    /// 5xx, after the bounded retries for 502/503/504.
    case serverError(status: Int, message: String)
}
