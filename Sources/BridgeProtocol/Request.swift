/// The `type` of every message a client may send.
public enum RequestType: String, Sendable, CaseIterable, Codable {
    case auth, ping, join, pin, leave, list, subscribe, unsubscribe
    case lock, unlock
    case muteGuests = "mute_guests"
    case unmuteGuests = "unmute_guests"
    case mute, unmute, spotlight, admit
    case disconnectParticipant = "disconnect_participant"
    case sendMessage = "send_message"
    case startConference = "start_conference"
    case disconnectAll = "disconnect_all"
    case raiseHand = "raise_hand"
    case lowerHand = "lower_hand"
    case lowerAllHands = "lower_all_hands"
    case setRole = "set_role"
    case videoMute = "video_mute"
    case videoUnmute = "video_unmute"
    case guestsCanUnmute = "guests_can_unmute"
    case layouts
    case setLayout = "set_layout"
    case clearSpotlights = "clear_spotlights"
    case overlayText = "overlay_text"
    case dial, transfer, dtmf, captions
    case `extension`, idp
    case ssoToken = "sso_token"

    /// Observers may send only these.
    public var allowedForObservers: Bool {
        switch self {
        case .auth, .list, .subscribe, .unsubscribe, .ping: true
        default: false
        }
    }
}

/// Fields of a `join` request.
public struct JoinParameters: Sendable, Equatable {
    /// nil: found from the alias's domain (DNS SRV `_pexapp._tcp.<domain>`, then the domain itself).
    public var node: String?
    public var alias: String
    public var displayName: String
    /// Sent with the first token request when present (a secret).
    public var pin: String?
    /// The target conference behind a Virtual Reception, sent with the first token request when present.
    public var `extension`: String?

    /// - Parameters:
    ///   - node: The conference node: a host name, `host:port` or an `https://` / `http://` URL; nil to find it
    ///     from the alias's domain.
    ///   - alias: The conference alias to join.
    ///   - displayName: The name the bridge's participant has in the roster.
    ///   - pin: A PIN to send with the first token request (a secret; never echoed).
    ///   - extension: The target conference behind a Virtual Reception.
    public init(node: String?, alias: String, displayName: String, pin: String? = nil, extension: String? = nil) {
        self.node = node
        self.alias = alias
        self.displayName = displayName
        self.pin = pin
        self.extension = `extension`
    }
}

/// A host (or chat) action on a connected session.
public enum ConferenceControl: Sendable, Equatable {
    case lock
    case unlock
    case muteGuests
    case unmuteGuests
    case startConference
    case disconnectAll
    case mute(participant: String)
    case unmute(participant: String)
    case spotlight(participant: String, on: Bool)
    case admit(participant: String)
    case disconnectParticipant(participant: String)
    case sendMessage(text: String)
    /// Raise the session's own hand.
    case raiseHand
    /// Lower a hand: the session's own when `participant` is nil.
    case lowerHand(participant: String?)
    case lowerAllHands
    case setRole(participant: String, role: Role)
    case videoMute(participant: String)
    case videoUnmute(participant: String)
    case guestsCanUnmute(allowed: Bool)
    /// Ask for the layouts the conference offers.
    case layouts
    case setLayout(LayoutChange)
    case clearSpotlights
    case overlayText(participant: String, text: String)
    case dial(DialParameters)
    case transfer(TransferParameters)
    case dtmf(participant: String, digits: String)
    /// Turn live captions on or off for the session's own participant.
    case captions(on: Bool)

    /// The request type that carries this control.
    public var requestType: RequestType {
        switch self {
        case .lock: .lock
        case .unlock: .unlock
        case .muteGuests: .muteGuests
        case .unmuteGuests: .unmuteGuests
        case .startConference: .startConference
        case .disconnectAll: .disconnectAll
        case .mute: .mute
        case .unmute: .unmute
        case .spotlight: .spotlight
        case .admit: .admit
        case .disconnectParticipant: .disconnectParticipant
        case .sendMessage: .sendMessage
        case .raiseHand: .raiseHand
        case .lowerHand: .lowerHand
        case .lowerAllHands: .lowerAllHands
        case .setRole: .setRole
        case .videoMute: .videoMute
        case .videoUnmute: .videoUnmute
        case .guestsCanUnmute: .guestsCanUnmute
        case .layouts: .layouts
        case .setLayout: .setLayout
        case .clearSpotlights: .clearSpotlights
        case .overlayText: .overlayText
        case .dial: .dial
        case .transfer: .transfer
        case .dtmf: .dtmf
        case .captions: .captions
        }
    }

    /// The participant this control acts on, if any.
    public var participant: String? {
        switch self {
        case .mute(let p), .unmute(let p), .admit(let p), .disconnectParticipant(let p): p
        case .spotlight(let p, _): p
        case .lowerHand(let p): p
        case .setRole(let p, _), .videoMute(let p), .videoUnmute(let p), .overlayText(let p, _), .dtmf(let p, _): p
        case .transfer(let t): t.participant
        default: nil
        }
    }

    /// True when only a host may do this. Chat, the session's own hand, the layout list and captions are open to
    /// guests; lowering another participant's hand needs a host (the engine treats the own uuid as "own").
    public var requiresHost: Bool {
        switch self {
        case .sendMessage, .raiseHand, .lowerHand(nil), .layouts, .captions: false
        default: true
        }
    }
}

/// A decoded client request.
public enum Request: Sendable, Equatable {
    case auth(token: String)
    case ping
    case join(JoinParameters)
    case pin(session: String, pin: String)
    case leave(session: String)
    case list
    /// `include` names the ephemeral events (`speakers`, `captions`) the client wants as well.
    case subscribe(session: String?, sinceSeq: Int?, include: Set<EphemeralKind> = [])
    case unsubscribe(session: String?)
    case control(session: String, ConferenceControl)
    /// `extension`, `idp` or `sso_token`: an answer to the conference's way in.
    case wayIn(session: String, WayInAnswer)

    /// The wire `type` of this request.
    public var type: RequestType {
        switch self {
        case .auth: .auth
        case .ping: .ping
        case .join: .join
        case .pin: .pin
        case .leave: .leave
        case .list: .list
        case .subscribe: .subscribe
        case .unsubscribe: .unsubscribe
        case .control(_, let control): control.requestType
        case .wayIn(_, let answer): answer.requestType
        }
    }
}

/// A request with the id its result must carry.
public struct RequestEnvelope: Sendable, Equatable {
    public var id: RequestID
    public var request: Request

    /// - Parameters:
    ///   - id: The id the bridge echoes in the one result it sends for this request.
    ///   - request: What is asked.
    public init(id: RequestID, request: Request) {
        self.id = id
        self.request = request
    }
}
