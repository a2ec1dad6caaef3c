/// A client's role, decided by its `auth` token.
public enum ClientRole: String, Codable, Sendable, CaseIterable {
    case controller
    case observer
}

/// The first message on every connection.
public struct Hello: Sendable, Equatable {
    public var protocolVersion: Int
    public var server: String
    public var authRequired: Bool

    /// - Parameters:
    ///   - protocolVersion: The protocol version the bridge speaks.
    ///   - server: `pexbridge <version>`.
    ///   - authRequired: Whether the client must send `auth` before anything else.
    public init(protocolVersion: Int = ProtocolInfo.version, server: String, authRequired: Bool) {
        self.protocolVersion = protocolVersion
        self.server = server
        self.authRequired = authRequired
    }
}

/// The `data` of a successful result.
public enum ResultData: Sendable, Equatable {
    /// `{}`: ping, leave, unsubscribe, host controls.
    case empty
    /// `{"role": ...}`: auth.
    case role(ClientRole)
    /// `{"session": <snapshot>}`: join, pin.
    case session(SessionSnapshot)
    /// `{"sessions": [...]}`: list, subscribe; `replayed` answers a `since_seq` resume.
    case sessions([SessionSnapshot], replayed: Bool? = nil)
    /// `{"layouts": [...]}`: layouts.
    case layouts([String])
    /// `{"participants": [uuid, ...]}`: dial.
    case dialed([String])
}

/// The health of a session's upstream connection, pushed as the `upstream` event.
public struct UpstreamStatus: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case ok
        case reconnecting
        case tokenRefreshFailed = "token_refresh_failed"
        /// The bridge is stopping and hands the session to another instance (or its own next start) with the
        /// same node token: the session is not ended; resume it on any instance.
        case handover
        /// With a store: the bridge instance holding the session cannot reach its store. The session goes on
        /// (events are kept and written when the store is back) unless it stays away past the lease; see the
        /// README's "Running more than one bridge".
        case storeUnavailable = "store_unavailable"
        /// The store answers again after `store_unavailable`.
        case storeRestored = "store_restored"
    }

    public var status: Status
    /// Which retry this is (reconnecting, token_refresh_failed).
    public var attempt: Int?
    /// Milliseconds until the next try (reconnecting).
    public var delayMs: Int?

    /// - Parameters:
    ///   - status: The upstream connection's health.
    ///   - attempt: Which reconnect attempt this is (reconnecting only).
    ///   - delayMs: Milliseconds until the next try (reconnecting only).
    public init(status: Status, attempt: Int? = nil, delayMs: Int? = nil) {
        self.status = status
        self.attempt = attempt
        self.delayMs = delayMs
    }

    enum CodingKeys: String, CodingKey {
        case status, attempt
        case delayMs = "delay_ms"
    }
}

/// A `state` event: the new state and the snapshot fields that changed with it.
public struct StateChange: Sendable, Equatable {
    public var state: SessionState
    public var role: Role?
    public var pin: PINRequirement?
    public var error: ErrorBody?
    public var reason: DisconnectReason?
    /// The node's own words for a remote disconnect.
    public var message: String?
    public var capabilities: Capabilities?
    public var pinAttemptsLeft: Int?
    /// Set on a session's first event (`connecting`), so watchers of every session learn what it is.
    public var node: String?
    public var alias: String?
    public var displayName: String?
    /// In `extension_required`: what the Virtual Reception takes.
    public var `extension`: ExtensionRequirement?
    /// In `idp_required`: the identity providers to choose from.
    public var idps: [IdPInfo]?
    /// In `sso_required`: where to sign in.
    public var sso: SSORedirect?

    /// - Parameters:
    ///   - state: The session's new state.
    ///   - role: The role, once connected.
    ///   - pin: Which PINs the node asks for, in a PIN state.
    ///   - error: Why the session failed, or why the last PIN was refused.
    ///   - reason: Why the session ended in `disconnected`.
    ///   - message: The node's own words for a remote disconnect (one line, at most 200 characters).
    ///   - capabilities: What the session may do now.
    ///   - pinAttemptsLeft: Wrong PINs left before the lockout, in a PIN state.
    ///   - node: The session's node, on its first event.
    ///   - alias: The session's alias, on its first event.
    ///   - displayName: The session's display name, on its first event.
    public init(
        state: SessionState,
        role: Role? = nil,
        pin: PINRequirement? = nil,
        error: ErrorBody? = nil,
        reason: DisconnectReason? = nil,
        message: String? = nil,
        capabilities: Capabilities? = nil,
        pinAttemptsLeft: Int? = nil,
        node: String? = nil,
        alias: String? = nil,
        displayName: String? = nil
    ) {
        self.node = node
        self.alias = alias
        self.displayName = displayName
        self.state = state
        self.role = role
        self.pin = pin
        self.error = error
        self.reason = reason
        self.message = message
        self.capabilities = capabilities
        self.pinAttemptsLeft = pinAttemptsLeft
    }
}

/// A chat message received in the conference.
public struct ChatMessage: Sendable, Equatable {
    public var from: MessageSender
    public var text: String

    /// - Parameters:
    ///   - from: Who sent it.
    ///   - text: The message text.
    public init(from: MessageSender, text: String) {
        self.from = from
        self.text = text
    }
}

/// What happened in a session.
public enum EventPayload: Sendable, Equatable {
    case state(StateChange)
    case participantJoined(Participant)
    case participantUpdated(Participant)
    case participantLeft(uuid: String)
    case conference(ConferenceStatus)
    case message(ChatMessage)
    case upstream(UpstreamStatus)
    case presentation(PresentationState)
    case layout(LayoutState)

    /// The wire `type` of this event.
    public var type: ServerMessageType {
        switch self {
        case .state: .state
        case .participantJoined: .participantJoined
        case .participantUpdated: .participantUpdated
        case .participantLeft: .participantLeft
        case .conference: .conference
        case .message: .message
        case .upstream: .upstream
        case .presentation: .presentation
        case .layout: .layout
        }
    }
}

/// One event of one session, numbered by `seq`.
public struct SessionEvent: Sendable, Equatable {
    public var session: String
    public var seq: Int
    public var payload: EventPayload

    /// - Parameters:
    ///   - session: The session the event belongs to.
    ///   - seq: The session's event number; grows by exactly 1 per event.
    ///   - payload: What happened.
    public init(session: String, seq: Int, payload: EventPayload) {
        self.session = session
        self.seq = seq
        self.payload = payload
    }
}

/// The `type` of every message the bridge sends.
public enum ServerMessageType: String, Sendable, CaseIterable, Codable {
    case hello, result, error, state
    case participantJoined = "participant_joined"
    case participantUpdated = "participant_updated"
    case participantLeft = "participant_left"
    case conference, message, upstream
    case presentation, layout
    /// Ephemeral: no `seq`.
    case speakers, captions

    /// True for the types that are session events (carry `session` and `seq`).
    public var isEvent: Bool {
        switch self {
        case .hello, .result, .error, .speakers, .captions: false
        default: true
        }
    }

    /// True for the ephemeral events (carry `session`, no `seq`; only for clients that asked).
    public var isEphemeral: Bool {
        switch self {
        case .speakers, .captions: true
        default: false
        }
    }
}

/// Every message the bridge sends to a client.
public enum ServerMessage: Sendable, Equatable {
    case hello(Hello)
    case result(id: RequestID, Result<ResultData, ErrorBody>)
    case error(ErrorBody)
    case event(SessionEvent)
    case ephemeral(EphemeralEvent)

    /// The wire `type` of this message.
    public var type: ServerMessageType {
        switch self {
        case .hello: .hello
        case .result: .result
        case .error: .error
        case .event(let e): e.payload.type
        case .ephemeral(let e): e.payload.type
        }
    }
}
