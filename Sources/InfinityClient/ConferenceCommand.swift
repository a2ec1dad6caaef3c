/// A conference-level control call (host only, except `message`).
public enum ConferenceCommand: Sendable, Equatable {
    case lock
    case unlock
    case muteGuests
    case unmuteGuests
    case startConference
    /// Disconnects every participant.
    case disconnectAll
    /// Sends a plain-text chat message to everyone.
    case message(String)
    /// Lowers every raised hand (`clearallbuzz`).
    case clearAllBuzz
    /// Lets muted guests unmute themselves, or not (`set_guests_can_unmute`).
    case setGuestsCanUnmute(Bool)
    /// Changes the layout (`transform_layout`); the node answers 400 "Illegal value" for an unknown layout.
    case transformLayout(LayoutTransform)
    /// Turns every spotlight off (`clearspotlights`).
    case clearSpotlights

    /// The request path below the conference.
    var path: String {
        switch self {
        case .lock: "lock"
        case .unlock: "unlock"
        case .muteGuests: "muteguests"
        case .unmuteGuests: "unmuteguests"
        case .startConference: "start_conference"
        case .disconnectAll: "disconnect"
        case .message: "message"
        case .clearAllBuzz: "clearallbuzz"
        case .setGuestsCanUnmute: "set_guests_can_unmute"
        case .transformLayout: "transform_layout"
        case .clearSpotlights: "clearspotlights"
        }
    }

    /// Whether sending it twice leaves the conference as sending it once does (so a 502/503/504 may be retried).
    /// Chat, start and disconnect are sent at most once.
    var repeatable: Bool {
        switch self {
        case .lock, .unlock, .muteGuests, .unmuteGuests, .clearAllBuzz, .setGuestsCanUnmute, .transformLayout,
            .clearSpotlights:
            true
        case .startConference, .disconnectAll, .message: false
        }
    }

    var body: [UInt8]? {
        switch self {
        case .message(let text): encodeJSON(ChatBody(type: "text/plain", payload: text))
        case .setGuestsCanUnmute(let setting): encodeJSON(SettingBody(setting: setting))
        case .transformLayout(let transform): encodeJSON(TransformBody(transforms: transform))
        case .lock, .unlock, .muteGuests, .unmuteGuests, .startConference, .disconnectAll, .clearAllBuzz,
            .clearSpotlights:
            nil
        }
    }
}

struct ChatBody: Encodable {
    var type: String
    var payload: String
}

struct SettingBody: Encodable {
    var setting: Bool
}

struct TransformBody: Encodable {
    var transforms: LayoutTransform
}
