import Foundation

/// Answers to the whole-conference calls: hands, roles, video mute, layouts, dial-out, transfer, DTMF and
/// captions. Host-only unless they act on the caller itself (own hand, own captions) or only read.
extension EngineState {
    private static let hostConferenceCalls: Set<String> = [
        "clearallbuzz", "transform_layout", "clearspotlights", "dial",
    ]
    /// Participant calls anyone may make on their own participant; on another one they are for hosts.
    private static let ownParticipantCalls: Set<String> = [
        "buzz", "clearbuzz", "show_live_captions", "hide_live_captions",
    ]
    private static let hostParticipantCalls: Set<String> = [
        "role", "video_muted", "video_unmuted", "overlaytext", "dtmf", "transfer",
    ]

    /// The answer when `call` is a whole-conference call, else nil.
    mutating func conferenceAnswer(_ call: InboundCall, at moment: Moment) -> APIAnswer? {
        switch call.target {
        case .conference("available_layouts"):
            guard call.method == "GET" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { _, _ in .success(.array(StageState.layouts.map { .string($0) })) }
        case .conference(let name) where Self.hostConferenceCalls.contains(name):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, caller in
                guard caller.role == .host else { return .failed(403, Self.invalidRole) }
                switch name {
                case "clearallbuzz": room.clearAllBuzz(now: moment.now)
                case "clearspotlights": room.clearSpotlights(now: moment.now)
                case "transform_layout": return room.transformLayout(call.body, now: moment.now)
                default: return room.dial(call.body, now: moment.now, wallClock: moment.wallClock)
                }
                return .success(.bool(true))
            }
        case .participant(let uuid, "transfer"):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return transfer(call, uuid: uuid, at: moment)
        case .participant(let uuid, let action)
        where Self.ownParticipantCalls.contains(action) || Self.hostParticipantCalls.contains(action):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, caller in
                let own = Self.ownParticipantCalls.contains(action) && caller.uuid == uuid
                guard own || caller.role == .host else { return .failed(403, Self.invalidRole) }
                guard room.participant(uuid) != nil else { return .failed(404, "Participant not found") }
                return room.conferenceParticipantControl(
                    action,
                    on: uuid,
                    body: call.body,
                    now: moment.now,
                    wallClock: moment.wallClock
                ) ?? .failed(404, "Unknown request")
            }
        default:
            return nil
        }
    }

    /// `participants/<uuid>/transfer`: moves a participant to another room with the role asked for. The target
    /// room's PIN for that role must come with it. A participant with an event stream (an API client) is sent a
    /// `refer` to the new room and leaves this one; any other is moved in the roster.
    private mutating func transfer(_ call: InboundCall, uuid: String, at moment: Moment) -> APIAnswer {
        let sourceKey = Self.key(call.alias)
        guard var source = rooms[sourceKey] else { return .failed(404, Self.notFound) }
        guard let caller = source.authenticate(call.token, now: moment.now) else {
            rooms[sourceKey] = source
            return .failed(403, Self.invalidToken)
        }
        defer { rooms[sourceKey] = source }
        guard caller.role == .host else { return .failed(403, Self.invalidRole) }
        guard var moving = source.participant(uuid) else { return .failed(404, "Participant not found") }
        guard let body = JSONDecoder.decodeIfValid(TransferBody.self, from: call.body) else {
            return .failed(400, "conference_alias is required")
        }
        let targetKey = Self.key(body.conference_alias)
        guard targetKey != sourceKey, let target = rooms[targetKey] else { return .failed(400, RoomState.illegalValue) }
        let role: SimulatedRole
        switch body.role?.lowercased() {
        case "host": role = .host
        case "guest", nil: role = .guest
        default: return .failed(400, RoomState.illegalValue)
        }
        if let hostPIN = target.config.hostPIN {
            let needed = role == .host ? hostPIN : target.config.guestPIN
            if let needed, body.pin != needed { return .failed(403, "Invalid PIN") }
        }
        source.stage.keep(
            TransferRecord(participantUUID: uuid, toAlias: target.config.alias, role: role, pinGiven: body.pin != nil),
            in: \.transfers
        )
        if source.hasStream(uuid) {
            let refer: JSONValue = .object([
                ("alias", .string(target.config.alias)), ("token", .string(TokenGenerator.token())),
            ])
            source.send(ServerEvent(name: "refer", data: refer), toParticipant: uuid, now: moment.now)
            source.remove(uuid, reason: nil, now: moment.now)
        } else {
            source.remove(uuid, reason: nil, now: moment.now)
            moving.role = role
            moving.buzzTime = 0
            moving.spotlight = 0
            moving.isPresenting = false
            rooms[targetKey]!.join(moving, now: moment.now)
        }
        return .success(.bool(true))
    }
}
