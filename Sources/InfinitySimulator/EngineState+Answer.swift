import Foundation

/// Answers to the Client REST API calls.
extension EngineState {
    /// Everything `answer` needs besides the call.
    struct Moment {
        let now: ContinuousClock.Instant
        let wallClock: Double
        /// Called when an event stream's response ends.
        let streamEnded: @Sendable (_ alias: String, _ streamID: Int) -> Void
    }

    static let notFound = "Neither conference nor gateway found"
    static let invalidToken = "Invalid token"
    static let invalidRole = "Invalid role"
    static let hostDisconnectReason = "Disconnected by another participant"
    static let pinRetriesExceeded = "Participant exceeded PIN entry retries"
    static let version: JSONValue = .object([("version_id", .string("36")), ("pseudo_version", .string("79019.0.0"))])

    private static let hostOnlyConferenceControls: Set<String> = [
        "lock", "unlock", "muteguests", "unmuteguests", "start_conference", "disconnect", "set_guests_can_unmute",
    ]
    private static let participantControls: Set<String> = [
        "mute", "unmute", "spotlighton", "spotlightoff", "unlock", "disconnect",
    ]

    /// The answer to one call, after injected failures.
    mutating func answer(_ inbound: InboundCall, at moment: Moment) -> APIAnswer {
        let call = routedByToken(inbound)
        let settings = settings
        if stopped {
            return .failed(503, HTTPReasonPhrase.phrase(for: 503))
        }
        if let status = faults.takeFailure(endpoint: call.endpoint, alias: call.alias) {
            return .failed(status, HTTPReasonPhrase.phrase(for: status))
        }
        if let answer = conferenceAnswer(call, at: moment) { return answer }
        switch call.target {
        case .conference("request_token"):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return requestTokenThroughWaysIn(call, at: moment)
        case .conference("refresh_token"):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withKnownRoom(call) { room in room.refresh(call.token, settings: settings, now: moment.now) }
        case .conference("release_token"):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withKnownRoom(call) { room in
                guard let caller = room.authenticate(call.token, now: moment.now) else {
                    return .failed(403, Self.invalidToken)
                }
                room.remove(caller.uuid, reason: nil, now: moment.now)
                return .success(.bool(true))
            }
        case .conference("events"):
            guard call.method == "GET" else { return Self.methodNotAllowed }
            return openEvents(call, at: moment)
        case .conference("conference_status"):
            guard call.method == "GET" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, _ in .success(room.conferenceStatus()) }
        case .participantList:
            guard call.method == "GET" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, _ in .success(.array(room.roster.map(\.json))) }
        case .conference("message"):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, caller in
                room.sendMessage(from: caller, body: call.body, now: moment.now)
            }
        case .conference(let name) where Self.hostOnlyConferenceControls.contains(name):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, caller in
                guard caller.role == .host else { return .failed(403, Self.invalidRole) }
                return room.conferenceControl(name, body: call.body, now: moment.now)
            }
        case .participant(let uuid, let action) where Self.participantControls.contains(action):
            guard call.method == "POST" else { return Self.methodNotAllowed }
            return withCaller(call, at: moment) { room, caller in
                guard caller.role == .host else { return .failed(403, Self.invalidRole) }
                guard room.participant(uuid) != nil else { return .failed(404, "Participant not found") }
                return room.participantControl(action, on: uuid, now: moment.now, wallClock: moment.wallClock)
            }
        case .conference, .participant:
            return withKnownRoom(call) { _ in .failed(404, "Unknown request") }
        }
    }

    static let methodNotAllowed = APIAnswer.failed(405, HTTPReasonPhrase.phrase(for: 405))

    mutating func withKnownRoom(_ call: InboundCall, _ body: (inout RoomState) -> APIAnswer) -> APIAnswer {
        let key = Self.key(call.alias)
        guard rooms[key] != nil else { return .failed(404, Self.notFound) }
        return body(&rooms[key]!)
    }

    mutating func withCaller(
        _ call: InboundCall,
        at moment: Moment,
        _ body: (inout RoomState, ParticipantRecord) -> APIAnswer
    ) -> APIAnswer {
        withKnownRoom(call) { room in
            guard let caller = room.authenticate(call.token, now: moment.now) else {
                return .failed(403, Self.invalidToken)
            }
            return body(&room, caller)
        }
    }

    mutating func requestToken(_ call: InboundCall, at moment: Moment) -> APIAnswer {
        guard let body = JSONDecoder.decodeIfValid(TokenRequestBody.self, from: call.body),
            !body.display_name.isEmpty
        else {
            return .failed(400, "display_name is required")
        }
        let settings = settings
        return withKnownRoom(call) { room in
            room.expireDue(now: moment.now)
            let role: SimulatedRole
            switch room.checkPIN(call.pin, displayName: body.display_name, settings: settings) {
            case .granted(let granted): role = granted
            case .refused(let answer): return answer
            }
            let newcomer = ParticipantRecord.api(
                displayName: body.display_name,
                role: role,
                vendor: call.userAgent ?? "",
                callTag: body.call_tag ?? "",
                localAlias: room.config.alias,
                now: moment.wallClock
            )
            let joined = room.join(newcomer, now: moment.now)
            let token = room.issueToken(for: joined.uuid, now: moment.now, lifetime: settings.tokenExpiry)
            return .success(room.grant(token: token, for: joined, settings: settings))
        }
    }

    private mutating func openEvents(_ call: InboundCall, at moment: Moment) -> APIAnswer {
        let key = Self.key(call.alias)
        guard rooms[key] != nil else { return .failed(404, Self.notFound) }
        if rooms[key]!.refusingEventStreams {
            return .failed(503, HTTPReasonPhrase.phrase(for: 503))
        }
        guard let caller = rooms[key]!.authenticate(call.token, now: moment.now) else {
            return .failed(403, Self.invalidToken)
        }
        let id = nextStreamID
        nextStreamID += 1
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(10_000))
        let streamEnded = moment.streamEnded
        let alias = call.alias
        continuation.onTermination = { _ in streamEnded(alias, id) }
        rooms[key]!.openStream(id: id, participantUUID: caller.uuid, continuation: continuation, now: moment.now)
        return .eventStream(stream, continuation)
    }
}
