/// A participant-level control call (host only).
public enum ParticipantCommand: Sendable, Equatable {
    case mute
    case unmute
    case spotlightOn
    case spotlightOff
    /// Lets a waiting participant in (`participants/<uuid>/unlock`).
    case admit
    case disconnect
    /// Raises the participant's hand (`buzz`).
    case buzz
    /// Lowers the participant's hand (`clearbuzz`).
    case clearBuzz
    /// Makes the participant a host (`chair`) or a guest (`role`).
    case role(InfinityRole)
    /// Stops the participant's video reaching the others (`video_muted`).
    case videoMute
    /// Lets the participant's video through again (`video_unmuted`).
    case videoUnmute
    /// Sets the text shown over the participant's video (`overlaytext`).
    case overlayText(String)
    /// Moves the participant to another conference (`transfer`); the PIN in it is a secret.
    case transfer(ParticipantTransfer)
    /// Sends DTMF digits to the participant's call (`dtmf`).
    case dtmf(String)
    /// Starts live captions for this participant (`show_live_captions`).
    case showLiveCaptions
    /// Stops live captions for this participant (`hide_live_captions`).
    case hideLiveCaptions

    /// The request path below `participants/<uuid>/`.
    var path: String {
        switch self {
        case .mute: "mute"
        case .unmute: "unmute"
        case .spotlightOn: "spotlighton"
        case .spotlightOff: "spotlightoff"
        case .admit: "unlock"
        case .disconnect: "disconnect"
        case .buzz: "buzz"
        case .clearBuzz: "clearbuzz"
        case .role: "role"
        case .videoMute: "video_muted"
        case .videoUnmute: "video_unmuted"
        case .overlayText: "overlaytext"
        case .transfer: "transfer"
        case .dtmf: "dtmf"
        case .showLiveCaptions: "show_live_captions"
        case .hideLiveCaptions: "hide_live_captions"
        }
    }

    var body: [UInt8]? {
        switch self {
        case .role(let role): encodeJSON(["role": role == .host ? "chair" : "guest"])
        case .overlayText(let text): encodeJSON(["text": text])
        case .transfer(let transfer): transfer.body
        case .dtmf(let digits): encodeJSON(["digits": digits])
        case .mute, .unmute, .spotlightOn, .spotlightOff, .admit, .disconnect, .buzz, .clearBuzz, .videoMute,
            .videoUnmute, .showLiveCaptions, .hideLiveCaptions:
            nil
        }
    }

    /// Whether sending it twice leaves the participant as sending it once does (so a 502/503/504 may be retried).
    var repeatable: Bool {
        switch self {
        case .mute, .unmute, .spotlightOn, .spotlightOff, .admit, .buzz, .clearBuzz, .role, .videoMute, .videoUnmute,
            .overlayText, .showLiveCaptions, .hideLiveCaptions:
            true
        // Digits would be dialled twice, and a participant moved twice.
        case .disconnect, .transfer, .dtmf: false
        }
    }
}
