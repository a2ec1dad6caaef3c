import Foundation

/// The `request_token` body fields the simulator reads; unknown keys are ignored.
struct TokenRequestBody: Decodable {
    let display_name: String
    let call_tag: String?
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
