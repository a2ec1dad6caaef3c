/// A participant-level control call (host only).
public enum ParticipantCommand: Sendable, Equatable {
    case mute
    case unmute
    case spotlightOn
    case spotlightOff
    /// Lets a waiting participant in (`participants/<uuid>/unlock`).
    case admit
    case disconnect

    /// The request path below `participants/<uuid>/`.
    var path: String {
        switch self {
        case .mute: "mute"
        case .unmute: "unmute"
        case .spotlightOn: "spotlighton"
        case .spotlightOff: "spotlightoff"
        case .admit: "unlock"
        case .disconnect: "disconnect"
        }
    }

    /// Whether sending it twice leaves the participant as sending it once does (so a 502/503/504 may be retried).
    var repeatable: Bool {
        switch self {
        case .mute, .unmute, .spotlightOn, .spotlightOff, .admit: true
        case .disconnect: false
        }
    }
}
