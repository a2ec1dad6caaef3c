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
        }
    }

    /// Whether sending it twice leaves the conference as sending it once does (so a 502/503/504 may be retried).
    /// Chat, start and disconnect are sent at most once.
    var repeatable: Bool {
        switch self {
        case .lock, .unlock, .muteGuests, .unmuteGuests: true
        case .startConference, .disconnectAll, .message: false
        }
    }

    var body: [UInt8]? {
        if case .message(let text) = self { return encodeJSON(ChatBody(type: "text/plain", payload: text)) }
        return nil
    }
}

struct ChatBody: Encodable {
    var type: String
    var payload: String
}
