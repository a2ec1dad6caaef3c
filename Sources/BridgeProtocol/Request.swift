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
        }
    }

    /// The participant this control acts on, if any.
    public var participant: String? {
        switch self {
        case .mute(let p), .unmute(let p), .admit(let p), .disconnectParticipant(let p): p
        case .spotlight(let p, _): p
        default: nil
        }
    }

    /// True when only a host may do this (chat is open to guests).
    public var requiresHost: Bool {
        if case .sendMessage = self { return false }
        return true
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
    case subscribe(session: String?, sinceSeq: Int?)
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
