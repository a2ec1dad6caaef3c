/// Everything a client needs to draw one session; `seq` is that of the last event it includes.
public struct SessionSnapshot: Codable, Sendable, Equatable {
    public var id: String
    public var seq: Int
    public var state: SessionState
    public var node: String
    public var alias: String
    public var displayName: String
    public var role: Role?
    public var pin: PINRequirement?
    public var error: ErrorBody?
    public var participants: [Participant]
    public var conference: ConferenceStatus?
    public var capabilities: Capabilities
    /// While in a PIN state: how many wrong PINs remain before the lockout.
    public var pinAttemptsLeft: Int?
    /// Who presents now.
    public var presentation = PresentationState.inactive
    /// The conference's layout, as last reported.
    public var layout = LayoutState.unknown
    /// Who was speaking at the last `stage` (uuids, loudest first).
    public var speakers: [String] = []
    /// In `extension_required`: what the Virtual Reception takes.
    public var `extension`: ExtensionRequirement?
    /// In `idp_required`: the identity providers to choose from.
    public var idps: [IdPInfo]?
    /// In `sso_required`: where to sign in.
    public var sso: SSORedirect?

    /// - Parameters:
    ///   - id: The session id the bridge chose.
    ///   - seq: The `seq` of the last event this snapshot includes.
    ///   - state: The session's state.
    ///   - node: The node as the client named it.
    ///   - alias: The conference alias.
    ///   - displayName: The bridge participant's display name.
    ///   - role: `host` or `guest` once connected, else nil.
    ///   - pin: Which PINs the node asks for, in a PIN state.
    ///   - error: Why the session failed, or the last PIN refusal.
    ///   - participants: The roster.
    ///   - conference: The conference's state, once known.
    ///   - capabilities: What the session may do now.
    ///   - pinAttemptsLeft: Wrong PINs left before the lockout, in a PIN state.
    public init(
        id: String,
        seq: Int,
        state: SessionState,
        node: String,
        alias: String,
        displayName: String,
        role: Role? = nil,
        pin: PINRequirement? = nil,
        error: ErrorBody? = nil,
        participants: [Participant] = [],
        conference: ConferenceStatus? = nil,
        capabilities: Capabilities = .none,
        pinAttemptsLeft: Int? = nil
    ) {
        self.id = id
        self.seq = seq
        self.state = state
        self.node = node
        self.alias = alias
        self.displayName = displayName
        self.role = role
        self.pin = pin
        self.error = error
        self.participants = participants
        self.conference = conference
        self.capabilities = capabilities
        self.pinAttemptsLeft = pinAttemptsLeft
    }

    enum CodingKeys: String, CodingKey {
        case id, seq, state, node, alias, role, pin, error, participants, conference, capabilities
        case displayName = "display_name"
        case pinAttemptsLeft = "pin_attempts_left"
        case `extension`, idps, sso
        case presentation, layout, speakers
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            seq: try c.decode(Int.self, forKey: .seq),
            state: try c.decode(SessionState.self, forKey: .state),
            node: try c.decode(String.self, forKey: .node),
            alias: try c.decode(String.self, forKey: .alias),
            displayName: try c.decode(String.self, forKey: .displayName),
            role: try c.decodeIfPresent(Role.self, forKey: .role),
            pin: try c.decodeIfPresent(PINRequirement.self, forKey: .pin),
            error: try c.decodeIfPresent(ErrorBody.self, forKey: .error),
            participants: try c.decode([Participant].self, forKey: .participants),
            conference: try c.decodeIfPresent(ConferenceStatus.self, forKey: .conference),
            capabilities: try c.decode(Capabilities.self, forKey: .capabilities),
            pinAttemptsLeft: try c.decodeIfPresent(Int.self, forKey: .pinAttemptsLeft)
        )
        presentation = try c.decodeIfPresent(PresentationState.self, forKey: .presentation) ?? .inactive
        layout = try c.decodeIfPresent(LayoutState.self, forKey: .layout) ?? .unknown
        speakers = try c.decodeIfPresent([String].self, forKey: .speakers) ?? []
        `extension` = try c.decodeIfPresent(ExtensionRequirement.self, forKey: .extension)
        idps = try c.decodeIfPresent([IdPInfo].self, forKey: .idps)
        sso = try c.decodeIfPresent(SSORedirect.self, forKey: .sso)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(seq, forKey: .seq)
        try c.encode(state, forKey: .state)
        try c.encode(node, forKey: .node)
        try c.encode(alias, forKey: .alias)
        try c.encode(displayName, forKey: .displayName)
        // The contract spells absent values as explicit nulls.
        try c.encode(role, forKey: .role)
        try c.encode(pin, forKey: .pin)
        try c.encode(error, forKey: .error)
        try c.encode(participants, forKey: .participants)
        try c.encode(conference, forKey: .conference)
        try c.encode(capabilities, forKey: .capabilities)
        try c.encodeIfPresent(pinAttemptsLeft, forKey: .pinAttemptsLeft)
        try c.encode(presentation, forKey: .presentation)
        try c.encode(layout, forKey: .layout)
        try c.encode(speakers, forKey: .speakers)
        try c.encodeIfPresent(`extension`, forKey: .extension)
        try c.encodeIfPresent(idps, forKey: .idps)
        try c.encodeIfPresent(sso, forKey: .sso)
    }
}
