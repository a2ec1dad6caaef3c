/// The participant object with every field the schema requires, typed as infinity-api.md §5 says.
/// Decoding fails when a field is missing or has another JSON type.
struct ParticipantObject: Decodable {
    let buzz_time: Double
    let call_direction: String
    let disconnect_supported: String
    let display_name: String
    let encryption: String
    let external_node_uuid: String
    let fecc_supported: String
    let has_media: Bool
    let is_audio_only_call: String
    let is_external: Bool
    let is_muted: String
    let is_presenting: String
    let is_streaming_conference: Bool
    let is_video_call: String
    let is_video_muted: Bool
    let is_video_silent: Bool
    let local_alias: String
    let mute_supported: String
    let overlay_text: String
    let `protocol`: String
    let role: String
    let rx_presentation_policy: String
    let spotlight: Double
    let start_time: Double
    let transfer_supported: String
    let uuid: String
    let service_type: String
    let api_url: String
    let presentation_supported: String
}

/// `{"status":…,"result":…}`.
struct Envelope<Result: Decodable>: Decodable {
    let status: String
    let result: Result
}
