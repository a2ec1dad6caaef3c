/// One participant of a conference, normalised from the node's roster.
public struct Participant: Codable, Sendable, Equatable {
    public var uuid: String
    public var displayName: String
    public var role: Role
    public var muted: Bool
    public var presenting: Bool
    public var spotlight: Bool
    /// The node's service type: `conference`, `waiting_room`, `lecture`, `gateway`, `ivr`, `connecting`, ...
    public var serviceType: String
    /// True for the bridge's own participant.
    public var isSelf: Bool
    /// The participant's signalling protocol as the node reports it (`webrtc`, `sip`, `api`, ...).
    public var callProtocol: String?
    /// When the hand went up (Unix seconds, from the node's `buzz_time`); nil while it is down.
    public var handRaisedAt: Double?
    /// The participant's video is muted (`is_video_muted`).
    public var videoMuted: Bool
    /// The text shown over the participant's video; "" when none.
    public var overlayText: String
    /// Whether the participant called in or the conference called out to it.
    public var callDirection: CallDirection
    /// When the participant joined (Unix seconds, from `start_time`); nil when the node did not say.
    public var joinedAt: Double?

    /// - Parameters:
    ///   - uuid: The participant's uuid on the node.
    ///   - displayName: The name the roster shows.
    ///   - role: `host` (the node's `chair`) or `guest`.
    ///   - muted: Muted by a host (administrative audio mute).
    ///   - presenting: Sending a presentation.
    ///   - spotlight: Spotlit by a host.
    ///   - serviceType: The node's service type, e.g. `conference` or `waiting_room`.
    ///   - isSelf: True for the bridge's own participant.
    ///   - callProtocol: The signalling protocol the node reports (`webrtc`, `sip`, `api`, ...).
    ///   - handRaisedAt: When the hand went up (Unix seconds); nil while it is down.
    ///   - videoMuted: The participant's video is muted.
    ///   - overlayText: The text shown over the participant's video ("" when none).
    ///   - callDirection: `in` (called in) or `out` (dialled out by the conference).
    ///   - joinedAt: When the participant joined (Unix seconds), if known.
    public init(
        uuid: String,
        displayName: String,
        role: Role,
        muted: Bool = false,
        presenting: Bool = false,
        spotlight: Bool = false,
        serviceType: String = "conference",
        isSelf: Bool = false,
        callProtocol: String? = nil,
        handRaisedAt: Double? = nil,
        videoMuted: Bool = false,
        overlayText: String = "",
        callDirection: CallDirection = .in,
        joinedAt: Double? = nil
    ) {
        self.uuid = uuid
        self.displayName = displayName
        self.role = role
        self.muted = muted
        self.presenting = presenting
        self.spotlight = spotlight
        self.serviceType = serviceType
        self.isSelf = isSelf
        self.callProtocol = callProtocol
        self.handRaisedAt = handRaisedAt
        self.videoMuted = videoMuted
        self.overlayText = overlayText
        self.callDirection = callDirection
        self.joinedAt = joinedAt
    }

    enum CodingKeys: String, CodingKey {
        case uuid, role, muted, presenting, spotlight
        case displayName = "display_name"
        case serviceType = "service_type"
        case isSelf = "self"
        case callProtocol = "protocol"
        case handRaisedAt = "hand_raised_at"
        case videoMuted = "video_muted"
        case overlayText = "overlay_text"
        case callDirection = "call_direction"
        case joinedAt = "joined_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            uuid: try c.decode(String.self, forKey: .uuid),
            displayName: try c.decode(String.self, forKey: .displayName),
            role: try c.decode(Role.self, forKey: .role),
            muted: try c.decode(Bool.self, forKey: .muted),
            presenting: try c.decode(Bool.self, forKey: .presenting),
            spotlight: try c.decode(Bool.self, forKey: .spotlight),
            serviceType: try c.decode(String.self, forKey: .serviceType),
            isSelf: try c.decode(Bool.self, forKey: .isSelf),
            callProtocol: try c.decodeIfPresent(String.self, forKey: .callProtocol),
            // A bridge from before the whole-conference fields sends none of them.
            handRaisedAt: try c.decodeIfPresent(Double.self, forKey: .handRaisedAt),
            videoMuted: try c.decodeIfPresent(Bool.self, forKey: .videoMuted) ?? false,
            overlayText: try c.decodeIfPresent(String.self, forKey: .overlayText) ?? "",
            callDirection: try c.decodeIfPresent(CallDirection.self, forKey: .callDirection) ?? .in,
            joinedAt: try c.decodeIfPresent(Double.self, forKey: .joinedAt)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uuid, forKey: .uuid)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(role, forKey: .role)
        try c.encode(muted, forKey: .muted)
        try c.encode(presenting, forKey: .presenting)
        try c.encode(spotlight, forKey: .spotlight)
        try c.encode(serviceType, forKey: .serviceType)
        try c.encode(isSelf, forKey: .isSelf)
        try c.encodeIfPresent(callProtocol, forKey: .callProtocol)
        // Always present: the contract spells "no hand up" and "join time unknown" as null.
        try c.encode(handRaisedAt, forKey: .handRaisedAt)
        try c.encode(videoMuted, forKey: .videoMuted)
        try c.encode(overlayText, forKey: .overlayText)
        try c.encode(callDirection, forKey: .callDirection)
        try c.encode(joinedAt, forKey: .joinedAt)
    }
}

/// Whether a participant called in, or the conference called out to it (`dial`).
public enum CallDirection: String, Codable, Sendable, CaseIterable {
    case `in`
    case out
}

/// The conference's own state.
public struct ConferenceStatus: Codable, Sendable, Equatable {
    public var locked: Bool
    public var guestsMuted: Bool
    public var started: Bool
    /// Muted guests may unmute themselves.
    public var guestsCanUnmute: Bool
    /// Participants may present; nil when the node never said.
    public var presentationAllowed: Bool?

    /// - Parameters:
    ///   - locked: New participants wait in the waiting room until a host admits them.
    ///   - guestsMuted: Guests are muted by the host.
    ///   - started: A host has joined (or started the conference).
    ///   - guestsCanUnmute: Muted guests may unmute themselves.
    ///   - presentationAllowed: Participants may present; nil when the node never said.
    public init(
        locked: Bool = false,
        guestsMuted: Bool = false,
        started: Bool = true,
        guestsCanUnmute: Bool = false,
        presentationAllowed: Bool? = nil
    ) {
        self.locked = locked
        self.guestsMuted = guestsMuted
        self.started = started
        self.guestsCanUnmute = guestsCanUnmute
        self.presentationAllowed = presentationAllowed
    }

    enum CodingKeys: String, CodingKey {
        case locked, started
        case guestsMuted = "guests_muted"
        case guestsCanUnmute = "guests_can_unmute"
        case presentationAllowed = "presentation_allowed"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            locked: try c.decode(Bool.self, forKey: .locked),
            guestsMuted: try c.decode(Bool.self, forKey: .guestsMuted),
            started: try c.decode(Bool.self, forKey: .started),
            guestsCanUnmute: try c.decodeIfPresent(Bool.self, forKey: .guestsCanUnmute) ?? false,
            presentationAllowed: try c.decodeIfPresent(Bool.self, forKey: .presentationAllowed)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(locked, forKey: .locked)
        try c.encode(guestsMuted, forKey: .guestsMuted)
        try c.encode(started, forKey: .started)
        try c.encode(guestsCanUnmute, forKey: .guestsCanUnmute)
        try c.encode(presentationAllowed, forKey: .presentationAllowed)
    }
}

/// What a session may do right now, so a front end can grey out a control before it is pressed.
public struct Capabilities: Codable, Sendable, Equatable {
    public var leave: Bool
    public var chat: Bool
    public var lock: Bool
    public var muteGuests: Bool
    public var mute: Bool
    public var spotlight: Bool
    public var admit: Bool
    public var disconnectParticipant: Bool
    public var startConference: Bool
    public var disconnectAll: Bool
    // The whole conference (one key per request; `lower_hand` is true when the own hand may be lowered).
    public var raiseHand = false
    public var lowerHand = false
    public var lowerAllHands = false
    public var setRole = false
    public var videoMute = false
    public var videoUnmute = false
    public var guestsCanUnmute = false
    public var layouts = false
    public var setLayout = false
    public var clearSpotlights = false
    public var overlayText = false
    public var dial = false
    public var transfer = false
    public var dtmf = false
    public var captions = false
    // The ways in: each true only in the state that takes it.
    public var `extension` = false
    public var idp = false
    public var ssoToken = false

    /// - Parameters:
    ///   - leave: `leave` is allowed.
    ///   - chat: `send_message` is allowed.
    ///   - lock: `lock` and `unlock` are allowed.
    ///   - muteGuests: `mute_guests` and `unmute_guests` are allowed.
    ///   - mute: `mute` and `unmute` of a participant are allowed.
    ///   - spotlight: `spotlight` is allowed.
    ///   - admit: `admit` (let a participant in from the waiting room) is allowed.
    ///   - disconnectParticipant: `disconnect_participant` is allowed.
    ///   - startConference: `start_conference` is allowed.
    ///   - disconnectAll: `disconnect_all` is allowed.
    public init(
        leave: Bool = false,
        chat: Bool = false,
        lock: Bool = false,
        muteGuests: Bool = false,
        mute: Bool = false,
        spotlight: Bool = false,
        admit: Bool = false,
        disconnectParticipant: Bool = false,
        startConference: Bool = false,
        disconnectAll: Bool = false
    ) {
        self.leave = leave
        self.chat = chat
        self.lock = lock
        self.muteGuests = muteGuests
        self.mute = mute
        self.spotlight = spotlight
        self.admit = admit
        self.disconnectParticipant = disconnectParticipant
        self.startConference = startConference
        self.disconnectAll = disconnectAll
    }

    /// Nothing allowed: the session is final.
    public static let none = Capabilities()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case leave, chat, lock, mute, spotlight, admit
        case muteGuests = "mute_guests"
        case disconnectParticipant = "disconnect_participant"
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
    }

    /// Every key on the wire, in schema order.
    public static var wireKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Computed, not stored: key paths are not `Sendable`, so a stored table could not be a `static let`.
    private static var paths: [CodingKeys: WritableKeyPath<Capabilities, Bool>] {
        [
            .leave: \.leave, .chat: \.chat, .lock: \.lock, .mute: \.mute, .spotlight: \.spotlight, .admit: \.admit,
            .muteGuests: \.muteGuests, .disconnectParticipant: \.disconnectParticipant,
            .startConference: \.startConference, .disconnectAll: \.disconnectAll, .raiseHand: \.raiseHand,
            .lowerHand: \.lowerHand, .lowerAllHands: \.lowerAllHands, .setRole: \.setRole, .videoMute: \.videoMute,
            .videoUnmute: \.videoUnmute, .guestsCanUnmute: \.guestsCanUnmute, .layouts: \.layouts,
            .setLayout: \.setLayout, .clearSpotlights: \.clearSpotlights, .overlayText: \.overlayText, .dial: \.dial,
            .transfer: \.transfer, .dtmf: \.dtmf, .captions: \.captions, .extension: \.extension, .idp: \.idp,
            .ssoToken: \.ssoToken,
        ]
    }

    /// Keys a bridge from before the whole conference does not send read as false.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        let paths = Self.paths
        for key in CodingKeys.allCases {
            guard let path = paths[key] else { continue }
            self[keyPath: path] = try c.decodeIfPresent(Bool.self, forKey: key) ?? false
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let paths = Self.paths
        for key in CodingKeys.allCases {
            guard let path = paths[key] else { continue }
            try c.encode(self[keyPath: path], forKey: key)
        }
    }
}

/// The sender of a chat message.
public struct MessageSender: Codable, Sendable, Equatable {
    public var uuid: String
    public var displayName: String

    /// - Parameters:
    ///   - uuid: The sender's participant uuid.
    ///   - displayName: The sender's name as the roster shows it.
    public init(uuid: String, displayName: String) {
        self.uuid = uuid
        self.displayName = displayName
    }

    enum CodingKeys: String, CodingKey {
        case uuid
        case displayName = "display_name"
    }
}
