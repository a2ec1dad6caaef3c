import Foundation

/// The `request_token` body fields the simulator reads; unknown keys are ignored.
struct TokenRequestBody: Decodable {
    let display_name: String
    let call_tag: String?
    let conference_extension: String?
    let chosen_idp: String?
    let sso_token: String?
    let token: String?
}

/// The `message` body.
struct MessageBody: Decodable {
    let type: String?
    let payload: String
}

/// The `set_guests_can_unmute` body.
struct SettingBody: Decodable {
    let setting: Bool
}
