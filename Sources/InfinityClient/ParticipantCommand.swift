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
}
