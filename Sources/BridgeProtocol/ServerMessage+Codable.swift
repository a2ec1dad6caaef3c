/// Coding keys of every server message; all are snake_case on the wire.
enum ServerKey: String, CodingKey {
    case type, id, ok, data, error, session, seq
    case `protocol`, server
    case authRequired = "auth_required"
    case role, sessions, replayed
    case state, pin, reason, message, capabilities
    case pinAttemptsLeft = "pin_attempts_left"
    case participant, uuid, node, alias
    case displayName = "display_name"
    case locked, started
    case guestsMuted = "guests_muted"
    case from, text
    case status, attempt
    case delayMs = "delay_ms"
    case layouts, participants, active, presenter, layout, final
    case guestsCanUnmute = "guests_can_unmute"
    case presentationAllowed = "presentation_allowed"
    case hostLayout = "host_layout"
    case guestLayout = "guest_layout"
    case overlayTextEnabled = "overlay_text_enabled"
    case `extension`, idps, sso
}

extension ServerMessage: Codable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ServerKey.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .hello(let hello):
            try c.encode(hello.protocolVersion, forKey: .protocol)
            try c.encode(hello.server, forKey: .server)
            try c.encode(hello.authRequired, forKey: .authRequired)
        case .result(let id, let outcome):
            try c.encode(id, forKey: .id)
            switch outcome {
            case .success(let data):
                try c.encode(true, forKey: .ok)
                var d = c.nestedContainer(keyedBy: ServerKey.self, forKey: .data)
                switch data {
                case .empty: break
                case .role(let role): try d.encode(role, forKey: .role)
                case .session(let snapshot): try d.encode(snapshot, forKey: .session)
                case .sessions(let snapshots, let replayed):
                    try d.encode(snapshots, forKey: .sessions)
                    try d.encodeIfPresent(replayed, forKey: .replayed)
                case .layouts(let layouts): try d.encode(layouts, forKey: .layouts)
                case .dialed(let uuids): try d.encode(uuids, forKey: .participants)
                }
            case .failure(let error):
                try c.encode(false, forKey: .ok)
                try c.encode(error, forKey: .error)
            }
        case .error(let error):
            try c.encode(error, forKey: .error)
        case .event(let event):
            try c.encode(event.session, forKey: .session)
            try c.encode(event.seq, forKey: .seq)
            try event.payload.encodeFields(into: &c)
        case .ephemeral(let event):
            try c.encode(event.session, forKey: .session)
            switch event.payload {
            case .speakers(let uuids): try c.encode(uuids, forKey: .participants)
            case .captions(let caption):
                try c.encode(caption.text, forKey: .text)
                try c.encode(caption.final, forKey: .final)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ServerKey.self)
        let type = try c.decode(ServerMessageType.self, forKey: .type)
        switch type {
        case .hello:
            self = .hello(
                Hello(
                    protocolVersion: try c.decode(Int.self, forKey: .protocol),
                    server: try c.decode(String.self, forKey: .server),
                    authRequired: try c.decode(Bool.self, forKey: .authRequired)
                )
            )
        case .result:
            let id = try c.decode(RequestID.self, forKey: .id)
            if try c.decode(Bool.self, forKey: .ok) {
                let d = try c.nestedContainer(keyedBy: ServerKey.self, forKey: .data)
                let data: ResultData
                if d.contains(.role) {
                    data = .role(try d.decode(ClientRole.self, forKey: .role))
                } else if d.contains(.session) {
                    data = .session(try d.decode(SessionSnapshot.self, forKey: .session))
                } else if d.contains(.sessions) {
                    data = .sessions(
                        try d.decode([SessionSnapshot].self, forKey: .sessions),
                        replayed: try d.decodeIfPresent(Bool.self, forKey: .replayed)
                    )
                } else if d.contains(.layouts) {
                    data = .layouts(try d.decode([String].self, forKey: .layouts))
                } else if d.contains(.participants) {
                    data = .dialed(try d.decode([String].self, forKey: .participants))
                } else {
                    data = .empty
                }
                self = .result(id: id, .success(data))
            } else {
                self = .result(id: id, .failure(try c.decode(ErrorBody.self, forKey: .error)))
            }
        case .error:
            self = .error(try c.decode(ErrorBody.self, forKey: .error))
        case .speakers:
            self = .ephemeral(
                EphemeralEvent(
                    session: try c.decode(String.self, forKey: .session),
                    payload: .speakers(try c.decode([String].self, forKey: .participants))
                )
            )
        case .captions:
            self = .ephemeral(
                EphemeralEvent(
                    session: try c.decode(String.self, forKey: .session),
                    payload: .captions(
                        Caption(
                            text: try c.decode(String.self, forKey: .text),
                            final: try c.decode(Bool.self, forKey: .final)
                        )
                    )
                )
            )
        default:
            self = .event(
                SessionEvent(
                    session: try c.decode(String.self, forKey: .session),
                    seq: try c.decode(Int.self, forKey: .seq),
                    payload: try EventPayload(type: type, from: c)
                )
            )
        }
    }
}

extension EventPayload {
    func encodeFields(into c: inout KeyedEncodingContainer<ServerKey>) throws {
        switch self {
        case .state(let s):
            try c.encode(s.state, forKey: .state)
            try c.encodeIfPresent(s.role, forKey: .role)
            try c.encodeIfPresent(s.pin, forKey: .pin)
            try c.encodeIfPresent(s.error, forKey: .error)
            try c.encodeIfPresent(s.reason, forKey: .reason)
            try c.encodeIfPresent(s.message, forKey: .message)
            try c.encodeIfPresent(s.capabilities, forKey: .capabilities)
            try c.encodeIfPresent(s.pinAttemptsLeft, forKey: .pinAttemptsLeft)
            try c.encodeIfPresent(s.node, forKey: .node)
            try c.encodeIfPresent(s.alias, forKey: .alias)
            try c.encodeIfPresent(s.displayName, forKey: .displayName)
            try c.encodeIfPresent(s.extension, forKey: .extension)
            try c.encodeIfPresent(s.idps, forKey: .idps)
            try c.encodeIfPresent(s.sso, forKey: .sso)
        case .participantJoined(let p), .participantUpdated(let p):
            try c.encode(p, forKey: .participant)
        case .participantLeft(let uuid):
            try c.encode(uuid, forKey: .uuid)
        case .conference(let status):
            try c.encode(status.locked, forKey: .locked)
            try c.encode(status.guestsMuted, forKey: .guestsMuted)
            try c.encode(status.started, forKey: .started)
            try c.encode(status.guestsCanUnmute, forKey: .guestsCanUnmute)
            try c.encode(status.presentationAllowed, forKey: .presentationAllowed)
        case .presentation(let p):
            try c.encode(p.active, forKey: .active)
            try c.encode(p.presenter, forKey: .presenter)
        case .layout(let l):
            try c.encode(l.layout, forKey: .layout)
            try c.encode(l.hostLayout, forKey: .hostLayout)
            try c.encode(l.guestLayout, forKey: .guestLayout)
            try c.encode(l.overlayTextEnabled, forKey: .overlayTextEnabled)
        case .message(let m):
            try c.encode(m.from, forKey: .from)
            try c.encode(m.text, forKey: .text)
        case .upstream(let u):
            try c.encode(u.status, forKey: .status)
            try c.encodeIfPresent(u.attempt, forKey: .attempt)
            try c.encodeIfPresent(u.delayMs, forKey: .delayMs)
        }
    }

    init(type: ServerMessageType, from c: KeyedDecodingContainer<ServerKey>) throws {
        switch type {
        case .state:
            var change = StateChange(
                state: try c.decode(SessionState.self, forKey: .state),
                role: try c.decodeIfPresent(Role.self, forKey: .role),
                pin: try c.decodeIfPresent(PINRequirement.self, forKey: .pin),
                error: try c.decodeIfPresent(ErrorBody.self, forKey: .error),
                reason: try c.decodeIfPresent(DisconnectReason.self, forKey: .reason),
                message: try c.decodeIfPresent(String.self, forKey: .message),
                capabilities: try c.decodeIfPresent(Capabilities.self, forKey: .capabilities),
                pinAttemptsLeft: try c.decodeIfPresent(Int.self, forKey: .pinAttemptsLeft),
                node: try c.decodeIfPresent(String.self, forKey: .node),
                alias: try c.decodeIfPresent(String.self, forKey: .alias),
                displayName: try c.decodeIfPresent(String.self, forKey: .displayName)
            )
            change.extension = try c.decodeIfPresent(ExtensionRequirement.self, forKey: .extension)
            change.idps = try c.decodeIfPresent([IdPInfo].self, forKey: .idps)
            change.sso = try c.decodeIfPresent(SSORedirect.self, forKey: .sso)
            self = .state(change)
        case .participantJoined:
            self = .participantJoined(try c.decode(Participant.self, forKey: .participant))
        case .participantUpdated:
            self = .participantUpdated(try c.decode(Participant.self, forKey: .participant))
        case .participantLeft:
            self = .participantLeft(uuid: try c.decode(String.self, forKey: .uuid))
        case .conference:
            self = .conference(
                ConferenceStatus(
                    locked: try c.decode(Bool.self, forKey: .locked),
                    guestsMuted: try c.decode(Bool.self, forKey: .guestsMuted),
                    started: try c.decode(Bool.self, forKey: .started),
                    guestsCanUnmute: try c.decodeIfPresent(Bool.self, forKey: .guestsCanUnmute) ?? false,
                    presentationAllowed: try c.decodeIfPresent(Bool.self, forKey: .presentationAllowed)
                )
            )
        case .presentation:
            self = .presentation(
                PresentationState(
                    active: try c.decode(Bool.self, forKey: .active),
                    presenter: try c.decodeIfPresent(MessageSender.self, forKey: .presenter)
                )
            )
        case .layout:
            self = .layout(
                LayoutState(
                    layout: try c.decodeIfPresent(String.self, forKey: .layout),
                    hostLayout: try c.decodeIfPresent(String.self, forKey: .hostLayout),
                    guestLayout: try c.decodeIfPresent(String.self, forKey: .guestLayout),
                    overlayTextEnabled: try c.decodeIfPresent(Bool.self, forKey: .overlayTextEnabled)
                )
            )
        case .message:
            self = .message(
                ChatMessage(
                    from: try c.decode(MessageSender.self, forKey: .from),
                    text: try c.decode(String.self, forKey: .text)
                )
            )
        case .upstream:
            self = .upstream(
                UpstreamStatus(
                    status: try c.decode(UpstreamStatus.Status.self, forKey: .status),
                    attempt: try c.decodeIfPresent(Int.self, forKey: .attempt),
                    delayMs: try c.decodeIfPresent(Int.self, forKey: .delayMs)
                )
            )
        case .hello, .result, .error, .speakers, .captions:
            throw DecodingError.dataCorrupted(
                .init(codingPath: c.codingPath, debugDescription: "\(type.rawValue) is not an event")
            )
        }
    }
}
