/// The JSON Schema of the whole protocol, derived from the Swift types of this module.
public enum ProtocolSchema {
    /// The published document (`protocol/schema.json`, `GET /protocol/schema.json`).
    public static let document = SchemaDocument(
        id: "https://pexbridge.invalid/protocol/v\(ProtocolInfo.version)/schema.json",
        title: "pexbridge wire protocol v\(ProtocolInfo.version)",
        description: """
            Every message exchanged over GET /ws: one JSON object per text frame, each with a string `type`. \
            Client messages (requests) ignore unknown members; server messages list every member they carry.
            """,
        definitions: definitions,
        root: .anyOf([.ref("client_message"), .ref("server_message")])
    )

    /// The definition name of a request's schema, e.g. `request.join`.
    ///
    /// - Parameter type: The request type.
    /// - Returns: The name of its definition in ``document``.
    public static func definitionName(_ type: RequestType) -> String { "request.\(type.rawValue)" }

    /// The definition name of a server message's schema, e.g. `server.state`.
    ///
    /// - Parameter type: The server message type.
    /// - Returns: The name of its definition in ``document``.
    public static func definitionName(_ type: ServerMessageType) -> String { "server.\(type.rawValue)" }

    static let definitions: [(name: String, schema: SchemaNode)] =
        shared
        + RequestType.allCases.map { (definitionName($0), .object(requestSchema($0))) }
        + ServerMessageType.allCases.map { (definitionName($0), serverSchema($0)) }
        + [
            (
                "client_message",
                .anyOf(
                    RequestType.allCases.map { .ref(definitionName($0)) },
                    description: "Any message a client sends."
                )
            ),
            (
                "server_message",
                .anyOf(
                    ServerMessageType.allCases.map { .ref(definitionName($0)) },
                    description: "Any message the bridge sends."
                )
            ),
        ]

    private static func enumeration<E: CaseIterable & RawRepresentable>(_: E.Type, _ description: String) -> SchemaNode
    where E.RawValue == String {
        .string(description: description, oneOfValues: E.allCases.map(\.rawValue))
    }

    private static func object(
        _ description: String? = nil,
        _ properties: [(name: String, schema: SchemaNode)],
        required: [String]? = nil,
        closed: Bool = true
    ) -> SchemaNode {
        .object(
            ObjectSchema(
                description: description,
                properties: properties,
                required: required ?? properties.map(\.name),
                closed: closed
            )
        )
    }

    private static let sessionID: SchemaNode = .string(description: "A session id chosen by the bridge.")
    private static let participantID: SchemaNode = .string(description: "A participant's uuid from the roster.")

    private static let shared: [(name: String, schema: SchemaNode)] = [
        ("request_id", .anyOf([.string(), .integer()], description: "Chosen by the client, echoed in the result.")),
        ("error_code", enumeration(ErrorCode.self, "Stable machine-readable error code.")),
        (
            "error",
            object(
                "What went wrong, for programs (code) and people (message).",
                [
                    ("code", .ref("error_code")),
                    ("message", .string(description: "Text for people; never contains a secret.")),
                    (
                        "attempts_left",
                        .integer(description: "invalid_pin: wrong PINs left before the lockout.", minimum: 0)
                    ),
                ],
                required: ["code", "message"]
            )
        ),
        ("session_state", enumeration(SessionState.self, "Where a session is; disconnected and error are final.")),
        ("role", enumeration(Role.self, "The bridge's role in the conference.")),
        ("client_role", enumeration(ClientRole.self, "A client's role, decided by its auth token.")),
        ("disconnect_reason", enumeration(DisconnectReason.self, "Why a session ended in disconnected.")),
        (
            "pin_requirement",
            object(
                "Which PINs the conference asked for.",
                [
                    ("host", .boolean(description: "A host PIN is set.")),
                    ("guest", .boolean(description: "Guests need a PIN too; false means guests may join without one.")),
                ]
            )
        ),
        (
            "participant",
            object(
                "A conference participant, normalised.",
                [
                    ("uuid", .string()),
                    ("display_name", .string()),
                    ("role", .ref("role")),
                    ("muted", .boolean(description: "Administratively muted.")),
                    ("presenting", .boolean()),
                    ("spotlight", .boolean()),
                    (
                        "service_type",
                        .string(description: "conference, waiting_room, lecture, gateway, ivr, connecting, ...")
                    ),
                    ("self", .boolean(description: "True for the bridge's own participant.")),
                    ("protocol", .string(description: "The participant's protocol: webrtc, sip, api, ...")),
                    (
                        "hand_raised_at",
                        .nullable(.number(description: "Unix seconds the hand went up (buzz_time); null when down."))
                    ),
                    ("video_muted", .boolean(description: "The participant's video is muted.")),
                    ("overlay_text", .string(description: "Text shown over the participant's video; \"\" when none.")),
                    ("call_direction", enumeration(CallDirection.self, "in: called in; out: dialled out.")),
                    ("joined_at", .nullable(.number(description: "Unix seconds the participant joined (start_time)."))),
                ],
                required: [
                    "uuid", "display_name", "role", "muted", "presenting", "spotlight", "service_type", "self",
                    "hand_raised_at", "video_muted", "overlay_text", "call_direction", "joined_at",
                ]
            )
        ),
        (
            "conference_status",
            object(
                "The conference's own state.",
                [
                    ("locked", .boolean()), ("guests_muted", .boolean()),
                    ("started", .boolean(description: "False while guests wait for a host.")),
                    ("guests_can_unmute", .boolean(description: "Muted guests may unmute themselves.")),
                    ("presentation_allowed", .nullable(.boolean(description: "null when the node never said."))),
                ]
            )
        ),
        (
            "presenter",
            object("Who presents.", [("uuid", .string()), ("display_name", .string())])
        ),
        (
            "presentation",
            object(
                "Who presents now.",
                [("active", .boolean()), ("presenter", .nullable(.ref("presenter")))]
            )
        ),
        (
            "layout",
            object(
                "The conference's layout; null members are not known.",
                [
                    ("layout", .nullable(.string(description: "The layout shown now."))),
                    ("host_layout", .nullable(.string(description: "The layout hosts asked for."))),
                    ("guest_layout", .nullable(.string(description: "The layout guests asked for."))),
                    ("overlay_text_enabled", .nullable(.boolean(description: "Names are shown over video."))),
                ]
            )
        ),
        ("ephemeral_kind", enumeration(EphemeralKind.self, "An ephemeral event a client may ask for.")),
        ("dial_protocol", enumeration(DialProtocol.self, "The protocol a dial calls out with.")),
        (
            "capabilities",
            object(
                "What this session may do now.",
                Capabilities.wireKeys.map { ($0, SchemaNode.boolean()) }
            )
        ),
        (
            "snapshot",
            object(
                "Everything about one session; seq is that of the last event included.",
                [
                    ("id", sessionID),
                    ("seq", .integer(minimum: 0)),
                    ("state", .ref("session_state")),
                    ("node", .string()),
                    ("alias", .string()),
                    ("display_name", .string()),
                    ("role", .nullable(.ref("role"))),
                    ("pin", .nullable(.ref("pin_requirement"))),
                    ("error", .nullable(.ref("error"))),
                    ("participants", .array(.ref("participant"))),
                    ("conference", .nullable(.ref("conference_status"))),
                    ("capabilities", .ref("capabilities")),
                    ("pin_attempts_left", .integer(description: "In a PIN state: wrong PINs left.", minimum: 0)),
                    ("presentation", .ref("presentation")),
                    ("layout", .ref("layout")),
                    ("speakers", .array(participantID, description: "Who was speaking at the last stage event.")),
                    ("extension", .ref("extension_requirement")),
                    ("idps", .array(.ref("idp"))),
                    ("sso", .ref("sso_redirect")),
                ],
                required: [
                    "id", "seq", "state", "node", "alias", "display_name", "role", "pin", "error",
                    "participants", "conference", "capabilities", "presentation", "layout", "speakers",
                ]
            )
        ),
        ("message_sender", object("Who sent a chat message.", [("uuid", .string()), ("display_name", .string())])),
        (
            "extension_requirement",
            object(
                "In extension_required: what the Virtual Reception takes.",
                [
                    (
                        "kind",
                        enumeration(ExtensionRequirement.Kind.self, "standard: a conference alias; mssip: a Lync id.")
                    )
                ]
            )
        ),
        ("idp", object("An identity provider.", [("uuid", .string()), ("name", .string())])),
        (
            "sso_redirect",
            object(
                "In sso_required: where to sign in.",
                [("redirect_url", .string(description: "The identity provider's sign-in page.")), ("idp", .ref("idp"))]
            )
        ),
        ("upstream_status", enumeration(UpstreamStatus.Status.self, "Health of the session's link to the node.")),
    ]

    // MARK: requests

    private static func requestSchema(_ type: RequestType) -> ObjectSchema {
        let head: [(name: String, schema: SchemaNode)] = [
            ("type", .string(constant: type.rawValue)), ("id", .ref("request_id")),
        ]
        let (description, fields, optional) = requestFields(type)
        return ObjectSchema(
            description: description,
            properties: head + fields,
            required: ["type", "id"] + fields.map(\.name).filter { !optional.contains($0) },
            closed: false
        )
    }

    private static func requestFields(
        _ type: RequestType
    )
        -> (String, [(name: String, schema: SchemaNode)], optional: Set<String>)
    {
        let session: (name: String, schema: SchemaNode) = ("session", sessionID)
        let participant: (name: String, schema: SchemaNode) = ("participant", participantID)
        switch type {
        case .auth:
            return (
                "Authenticate; the first request when hello.auth_required is true.",
                [("token", .string(description: "A secret from --token."))], []
            )
        case .ping: return ("Liveness check; answered with {}.", [], [])
        case .join:
            return (
                "Join a conference; the sender is subscribed to the new session.",
                [
                    (
                        "node",
                        .string(
                            description:
                                "host, host:port (HTTPS), or an https:// or http:// URL; optional when alias is "
                                + "name@domain (found by DNS SRV _pexapp._tcp.<domain>, then the domain itself)",
                            minLength: 1
                        )
                    ),
                    ("alias", .string(description: "The conference alias.", minLength: 1)),
                    ("display_name", .string(description: "Name shown to the other participants.", minLength: 1)),
                    ("pin", .string(description: "Optional PIN sent with the first token request.")),
                    (
                        "extension",
                        .string(description: "Optional Virtual Reception target sent up front.", minLength: 1)
                    ),
                ], ["node", "pin", "extension"]
            )
        case .pin:
            return (
                "Answer a PIN challenge; \"\" means no PIN (guest in pin_optional).",
                [session, ("pin", .string())], []
            )
        case .leave: return ("Leave the conference and release the session upstream.", [session], [])
        case .list: return ("List every live session.", [], [])
        case .subscribe:
            return (
                "Receive a session's events (all sessions, also later ones, when session is absent).",
                [
                    session,
                    ("since_seq", .integer(description: "Resume: replay the events after this seq.", minimum: 0)),
                    (
                        "include",
                        .array(.ref("ephemeral_kind"), description: "Ephemeral events wanted as well (no seq).")
                    ),
                ], ["session", "since_seq", "include"]
            )
        case .unsubscribe: return ("Stop receiving events (of one session, or all).", [session], ["session"])
        case .lock: return ("Host: lock the conference.", [session], [])
        case .unlock: return ("Host: unlock the conference.", [session], [])
        case .muteGuests: return ("Host: mute all guests.", [session], [])
        case .unmuteGuests: return ("Host: unmute all guests.", [session], [])
        case .startConference: return ("Host: start a conference whose guests wait for a host.", [session], [])
        case .disconnectAll: return ("Host: disconnect every participant.", [session], [])
        case .mute: return ("Host: mute a participant.", [session, participant], [])
        case .unmute: return ("Host: unmute a participant.", [session, participant], [])
        case .admit: return ("Host: let a participant in from the waiting room.", [session, participant], [])
        case .disconnectParticipant: return ("Host: disconnect a participant.", [session, participant], [])
        case .spotlight:
            return (
                "Host: turn a participant's spotlight on or off.",
                [session, participant, ("on", .boolean())], []
            )
        case .sendMessage:
            return (
                "Send a chat message to the conference.",
                [session, ("text", .string(minLength: 1))], []
            )
        case .extension:
            return (
                "In extension_required: the target conference behind the Virtual Reception.",
                [session, ("extension", .string(minLength: 1))], []
            )
        case .idp:
            return (
                "In idp_required: the uuid of one of the snapshot's idps.",
                [session, ("idp", .string(minLength: 1))], []
            )
        case .ssoToken:
            return (
                "In sso_required: the identity provider's token (a secret; see protocol/README.md).",
                [session, ("token", .string(minLength: 1))], []
            )
        case .raiseHand, .lowerHand, .lowerAllHands, .setRole, .videoMute, .videoUnmute, .guestsCanUnmute, .layouts,
            .setLayout, .clearSpotlights, .overlayText, .dial, .transfer, .dtmf, .captions:
            return conferenceRequestFields(type, session: session, participant: participant)
        }
    }

    private static func conferenceRequestFields(
        _ type: RequestType,
        session: (name: String, schema: SchemaNode),
        participant: (name: String, schema: SchemaNode)
    ) -> (String, [(name: String, schema: SchemaNode)], optional: Set<String>) {
        let role: (name: String, schema: SchemaNode) = ("role", .ref("role"))
        switch type {
        case .raiseHand: return ("Raise the session's own hand.", [session], [])
        case .lowerHand:
            return ("Lower the own hand, or (host) another participant's.", [session, participant], ["participant"])
        case .lowerAllHands: return ("Host: lower every raised hand.", [session], [])
        case .setRole: return ("Host: make a participant a host or a guest.", [session, participant, role], [])
        case .videoMute: return ("Host: mute a participant's video.", [session, participant], [])
        case .videoUnmute: return ("Host: unmute a participant's video.", [session, participant], [])
        case .guestsCanUnmute:
            return ("Host: let muted guests unmute themselves, or not.", [session, ("allowed", .boolean())], [])
        case .layouts: return ("The layouts the conference offers; result {\"layouts\": [...]}.", [session], [])
        case .setLayout:
            return (
                "Host: change the layout; at least one of layout, host_layout, guest_layout, overlay_text.",
                [
                    session, ("layout", .string(minLength: 1)), ("host_layout", .string(minLength: 1)),
                    ("guest_layout", .string(minLength: 1)),
                    ("overlay_text", .boolean(description: "Show names over video.")),
                ], ["layout", "host_layout", "guest_layout", "overlay_text"]
            )
        case .clearSpotlights: return ("Host: turn every spotlight off.", [session], [])
        case .overlayText:
            return (
                "Host: set the text shown over a participant's video.", [session, participant, ("text", .string())], []
            )
        case .dial:
            return (
                "Host: call a participant out; result {\"participants\": [uuid, ...]}.",
                [
                    session, ("destination", .string(minLength: 1)), ("protocol", .ref("dial_protocol")), role,
                    ("display_name", .string()), ("streaming", .boolean()),
                ], ["display_name", "streaming"]
            )
        case .transfer:
            return (
                "Host: move a participant to another conference; pin is a secret.",
                [session, participant, ("alias", .string(minLength: 1)), role, ("pin", .string())], ["pin"]
            )
        case .dtmf:
            return (
                "Host: send DTMF digits (1 to 32 of 0-9 * # A-D) to a participant's call.",
                [session, participant, ("digits", .string(minLength: 1))], []
            )
        case .captions: return ("Turn live captions on or off.", [session, ("on", .boolean())], [])
        case .auth, .ping, .join, .pin, .leave, .list, .subscribe, .unsubscribe, .lock, .unlock, .muteGuests,
            .unmuteGuests, .mute, .unmute, .spotlight, .admit, .disconnectParticipant, .sendMessage, .startConference,
            .disconnectAll, .extension, .idp, .ssoToken:
            preconditionFailure("\(type.rawValue) is not a whole-conference request")
        }
    }

    // MARK: server messages

    private static func serverSchema(_ type: ServerMessageType) -> SchemaNode {
        let typeField: (name: String, schema: SchemaNode) = ("type", .string(constant: type.rawValue))
        let eventHead: [(name: String, schema: SchemaNode)] = [
            typeField, ("session", sessionID),
            ("seq", .integer(description: "+1 per event of the session.", minimum: 1)),
        ]
        switch type {
        case .hello:
            return object(
                "Sent once, first, on every connection.",
                [
                    typeField, ("protocol", .integer(minimum: 1)), ("server", .string()), ("auth_required", .boolean()),
                ]
            )
        case .result:
            return .anyOf(
                [
                    object(
                        "A request succeeded.",
                        [
                            typeField, ("id", .ref("request_id")), ("ok", .boolean()),
                            (
                                "data",
                                .anyOf([
                                    object("ping, leave, unsubscribe, host controls", []),
                                    object("layouts", [("layouts", .array(.string()))]),
                                    object("dial", [("participants", .array(participantID))]),
                                    object("auth", [("role", .ref("client_role"))]),
                                    object("join, pin", [("session", .ref("snapshot"))]),
                                    object(
                                        "list, subscribe",
                                        [
                                            ("sessions", .array(.ref("snapshot"))),
                                            (
                                                "replayed",
                                                .boolean(
                                                    description:
                                                        "subscribe with since_seq: true when the missed events were replayed."
                                                )
                                            ),
                                        ],
                                        required: ["sessions"]
                                    ),
                                ])
                            ),
                        ]
                    ),
                    object(
                        "A request failed.",
                        [
                            typeField, ("id", .ref("request_id")), ("ok", .boolean()), ("error", .ref("error")),
                        ]
                    ),
                ],
                description: "Exactly one per request, sent when the action has finished upstream."
            )
        case .error:
            return object("A frame that could not be read as a request.", [typeField, ("error", .ref("error"))])
        case .state:
            return object(
                "The session's state changed.",
                eventHead + [
                    ("state", .ref("session_state")),
                    ("role", .ref("role")),
                    ("pin", .ref("pin_requirement")),
                    ("error", .ref("error")),
                    ("reason", .ref("disconnect_reason")),
                    ("message", .string(description: "The node's own words for a remote disconnect.")),
                    ("capabilities", .ref("capabilities")),
                    ("pin_attempts_left", .integer(minimum: 0)),
                    ("node", .string(description: "On a session's first event only.")),
                    (
                        "alias",
                        .string(description: "On a session's first event, and on connecting with reason transferred.")
                    ),
                    ("display_name", .string(description: "On a session's first event only.")),
                    ("extension", .ref("extension_requirement")),
                    ("idps", .array(.ref("idp"))),
                    ("sso", .ref("sso_redirect")),
                ],
                required: ["type", "session", "seq", "state"]
            )
        case .participantJoined:
            return object("Someone joined.", eventHead + [("participant", .ref("participant"))])
        case .participantUpdated:
            return object(
                "A participant changed (the whole participant).",
                eventHead + [("participant", .ref("participant"))]
            )
        case .participantLeft:
            return object("Someone left.", eventHead + [("uuid", participantID)])
        case .conference:
            return object(
                "The conference's state changed.",
                eventHead + [
                    ("locked", .boolean()), ("guests_muted", .boolean()), ("started", .boolean()),
                    ("guests_can_unmute", .boolean()), ("presentation_allowed", .nullable(.boolean())),
                ],
                required: ["type", "session", "seq", "locked", "guests_muted", "started"]
            )
        case .message:
            return object("A chat message.", eventHead + [("from", .ref("message_sender")), ("text", .string())])
        case .upstream:
            return object(
                "Health of the link to the node.",
                eventHead + [
                    ("status", .ref("upstream_status")),
                    ("attempt", .integer(minimum: 1)),
                    ("delay_ms", .integer(minimum: 0)),
                ],
                required: ["type", "session", "seq", "status"]
            )
        case .presentation:
            return object(
                "Someone started or stopped presenting.",
                eventHead + [("active", .boolean()), ("presenter", .nullable(.ref("presenter")))]
            )
        case .layout:
            return object(
                "The layout changed.",
                eventHead + [
                    ("layout", .nullable(.string())), ("host_layout", .nullable(.string())),
                    ("guest_layout", .nullable(.string())), ("overlay_text_enabled", .nullable(.boolean())),
                ]
            )
        case .speakers:
            return object(
                "Ephemeral (no seq; only with subscribe include speakers): who speaks now, loudest first; "
                    + "at most 4 per second per session, the latest always sent.",
                [typeField, ("session", sessionID), ("participants", .array(participantID))]
            )
        case .captions:
            return object(
                "Ephemeral (no seq; only with subscribe include captions): a live caption.",
                [typeField, ("session", sessionID), ("text", .string()), ("final", .boolean())]
            )
        }
    }
}
