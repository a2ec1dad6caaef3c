/// The JSON body of `request_token` as the bridge sends it.
struct RequestTokenBody: Encodable, Sendable {
    /// The body for `displayName` with the answers `extras` carries.
    init(displayName: String, extras: TokenRequestExtras) {
        self.displayName = displayName
        self.chosenIdp = extras.chosenIdP ?? "none"
        self.ssoToken = extras.ssoToken ?? "none"
        self.conferenceExtension = extras.conferenceExtension
        self.token = extras.oneTimeToken
    }

    var displayName: String
    var callTag = ""
    var chosenIdp = "none"
    var ssoToken = "none"
    var directMedia = false
    var clientID = "pexbridge"
    /// The Virtual Reception target, when one is chosen.
    var conferenceExtension: String?
    /// A `refer` event's one-time token (a secret).
    var token: String?

    enum CodingKeys: String, CodingKey {
        case displayName = "display_name"
        case callTag = "call_tag"
        case chosenIdp = "chosen_idp"
        case ssoToken = "sso_token"
        case directMedia = "direct_media"
        case clientID = "client_id"
        case conferenceExtension = "conference_extension"
        case token
    }
}
