/// The JSON body of `request_token` as the bridge sends it.
struct RequestTokenBody: Encodable, Sendable {
    var displayName: String
    var callTag = ""
    var chosenIdp = "none"
    var ssoToken = "none"
    var directMedia = false
    var clientID = "pexbridge"

    enum CodingKeys: String, CodingKey {
        case displayName = "display_name"
        case callTag = "call_tag"
        case chosenIdp = "chosen_idp"
        case ssoToken = "sso_token"
        case directMedia = "direct_media"
        case clientID = "client_id"
    }
}
