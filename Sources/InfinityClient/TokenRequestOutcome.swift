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
    /// 403 Virtual Reception challenge: the target conference is asked for; `kind` is "standard" or "mssip".
    case extensionRequired(kind: String)
    /// 403 identity-provider choice (`idp` list); resend with `chosen_idp`.
    case identityProviders([IdentityProvider])
    /// 403 SSO redirect: sign in at `url` with `idp`, then resend with `sso_token`.
    case ssoRedirect(url: String, idp: IdentityProvider)
    /// 404 after a `conference_extension`: the Virtual Reception does not know that target.
    case extensionNotFound(message: String)
    /// The node refused the `sso_token` ("SSO Authentication Failed").
    case ssoFailed(message: String)
}
