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
    public init(
        uuid: String,
        displayName: String,
        role: Role,
        muted: Bool = false,
        presenting: Bool = false,
        spotlight: Bool = false,
        serviceType: String = "conference",
        isSelf: Bool = false,
        callProtocol: String? = nil
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
    }

    enum CodingKeys: String, CodingKey {
        case uuid, role, muted, presenting, spotlight
        case displayName = "display_name"
        case serviceType = "service_type"
        case isSelf = "self"
        case callProtocol = "protocol"
    }
}

/// The conference's own state.
public struct ConferenceStatus: Codable, Sendable, Equatable {
    public var locked: Bool
    public var guestsMuted: Bool
    public var started: Bool

    /// - Parameters:
    ///   - locked: New participants wait in the waiting room until a host admits them.
    ///   - guestsMuted: Guests are muted by the host.
    ///   - started: A host has joined (or started the conference).
    public init(locked: Bool = false, guestsMuted: Bool = false, started: Bool = true) {
        self.locked = locked
        self.guestsMuted = guestsMuted
        self.started = started
    }

    enum CodingKeys: String, CodingKey {
        case locked, started
        case guestsMuted = "guests_muted"
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

    enum CodingKeys: String, CodingKey {
        case leave, chat, lock, mute, spotlight, admit
        case muteGuests = "mute_guests"
        case disconnectParticipant = "disconnect_participant"
        case startConference = "start_conference"
        case disconnectAll = "disconnect_all"
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
